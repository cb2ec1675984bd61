package io.kvorum.operator.member;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Sha256TrailerStreamTest {

  static byte[] snapshot(int size) throws Exception {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    byte[] sha = MessageDigest.getInstance("SHA-256").digest(data);
    byte[] all = new byte[size + 32];
    System.arraycopy(data, 0, all, 0, size);
    System.arraycopy(sha, 0, all, size, 32);
    return all;
  }

  /** Writes in chunks of {@code chunk} bytes, so the trailer straddles writes in every way. */
  static Sha256TrailerStream write(byte[] all, int chunk, ByteArrayOutputStream sink) throws IOException {
    Sha256TrailerStream s = new Sha256TrailerStream(sink);
    for (int off = 0; off < all.length; off += chunk) {
      s.write(all, off, Math.min(chunk, all.length - off));
    }
    return s;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 31, 32, 33, 64, 1000, 100_000})
  void verifiesAnIntactStreamWhateverTheChunking(int chunk) throws Exception {
    byte[] all = snapshot(5000);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    Sha256TrailerStream s = write(all, chunk, sink);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(java.util.Arrays.copyOf(all, 5000)));
    assertThat(s.verify()).isEqualTo(expected);
    assertThat(s.size()).isEqualTo(all.length);
    assertThat(sink.toByteArray()).as("passes bytes through unchanged").isEqualTo(all);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 2500, 4999, 5000, 5031})
  void refusesAStreamWithAnyFlippedByte(int position) throws Exception {
    byte[] all = snapshot(5000);
    all[position] ^= 0x01;
    Sha256TrailerStream s = write(all, 333, new ByteArrayOutputStream());
    assertThatThrownBy(s::verify).isInstanceOf(IOException.class).hasMessageContaining("SHA-256 mismatch");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 31})
  void refusesAStreamShorterThanTheTrailer(int size) throws Exception {
    Sha256TrailerStream s = write(new byte[size], 5, new ByteArrayOutputStream());
    assertThatThrownBy(s::verify).isInstanceOf(IOException.class).hasMessageContaining("too short");
  }
}
