package io.kvorum.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

class KeyOrderTest {
  private static final Comparator<ByteString> PROTOBUF = ByteString.unsignedLexicographicalComparator();

  @Test
  void prefixSortsFirstAndBytesAreUnsigned() {
    assertTrue(KeyOrder.compare(utf8("a"), utf8("ab")) < 0);
    assertTrue(KeyOrder.compare(utf8("ab"), utf8("b")) < 0);
    assertTrue(KeyOrder.compare(ByteString.EMPTY, utf8("a")) < 0);
    assertEquals(0, KeyOrder.compare(ByteString.EMPTY, ByteString.EMPTY));
    assertTrue(KeyOrder.compare(bytes(0x7f), bytes(0x80)) < 0);
    assertTrue(KeyOrder.compare(bytes(0xff, 0x00), bytes(0xff)) > 0);
  }

  @Test
  void agreesWithProtobufOnLongSharedPrefixesSlicesAndRopes() {
    forRandomPairs(7, (a, b) -> {
      assertEquals(Integer.signum(PROTOBUF.compare(a, b)), Integer.signum(KeyOrder.compare(a, b)), () -> a + " vs " + b);
      assertEquals(Integer.signum(PROTOBUF.compare(b, a)), Integer.signum(KeyOrder.compare(b, a)), () -> b + " vs " + a);
    });
  }

  /** Comparing flat strings (the usual case: keys parsed from requests) reads them in place. */
  @Test
  void comparingFlatStringsAllocatesNothing() {
    ByteString a = ByteString.copyFrom(new byte[256]);
    ByteString b = ByteString.copyFrom(new byte[300]).substring(10, 266);
    KeyOrder.compare(a, b); // the thread's receivers
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    int sum = 0;
    for (int i = 0; i < 10_000; i++) {
      sum += KeyOrder.compare(a, b);
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertEquals(0, sum);
    assertTrue(allocated < 10_000, "10,000 comparisons allocated " + allocated + " bytes");
  }

  /** The key index compares byte arrays with the JDK's unsigned compare: it must be this order. */
  @Test
  void isTheOrderOfTheJdksUnsignedArrayCompare() {
    forRandomPairs(11, (a, b) -> assertEquals(
        Integer.signum(KeyOrder.compare(a, b)),
        Integer.signum(Arrays.compareUnsigned(a.toByteArray(), b.toByteArray())),
        () -> a + " vs " + b));
  }

  /** 20,000 pairs: a random key, and the same key or a variation of it. */
  private static void forRandomPairs(long seed, BiConsumer<ByteString, ByteString> check) {
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      ByteString a = randomKey(random);
      check.accept(a, random.nextInt(4) == 0 ? a : mutate(a, random));
    }
  }

  /** Up to 300 bytes over a small alphabet with high bytes, as a slice of a larger array or a rope. */
  private static ByteString randomKey(Random random) {
    byte[] raw = new byte[random.nextInt(300) + 8];
    for (int j = 0; j < raw.length; j++) {
      raw[j] = (byte) (random.nextBoolean() ? '0' : 0x80 + random.nextInt(3));
    }
    int from = random.nextInt(4);
    int to = raw.length - random.nextInt(4);
    ByteString slice = ByteString.copyFrom(raw).substring(from, to);
    if (random.nextBoolean() && slice.size() > 1) {
      int cut = random.nextInt(slice.size());
      return slice.substring(0, cut).concat(slice.substring(cut));
    }
    return slice;
  }

  private static ByteString mutate(ByteString key, Random random) {
    byte[] b = key.toByteArray();
    return switch (random.nextInt(3)) {
      case 0 -> ByteString.copyFrom(b, 0, random.nextInt(b.length + 1));
      case 1 -> key.concat(bytes(random.nextInt(256)));
      default -> {
        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
        yield ByteString.copyFrom(b);
      }
    };
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static ByteString bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return ByteString.copyFrom(b);
  }
}
