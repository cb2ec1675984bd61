package io.kvorum.storage.wal;

import static io.kvorum.storage.wal.WalTest.entries;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flips one random byte of any record in a multi-segment WAL, many times: opening it must either
 * refuse with a {@link WalCorruptException} or, only when the flip hit the final record, drop
 * that record. It must never return different data.
 */
class WalFuzzTest {
  @TempDir
  Path dir;

  @Test
  void aFlippedByteIsNeverSilentlyAccepted() throws IOException {
    Path wal = dir.resolve("wal");
    List<Entry> written = new ArrayList<>();
    try (Wal w = Wal.create(wal, ByteString.copyFromUtf8("meta"), 1024)) {
      for (long i = 1; i <= 120; i += 6) {
        List<Entry> batch = entries(i, i + 5, 1 + i / 50);
        w.save(HardState.newBuilder().setTerm(1 + i / 50).setCommit(i).build(), batch, true);
        written.addAll(batch);
      }
    }
    Map<Path, byte[]> pristine = new HashMap<>();
    for (Path p : Wal.segments(wal)) {
      pristine.put(p, Files.readAllBytes(p));
    }
    List<Path> files = Wal.segments(wal);
    assertThat(files.size()).isGreaterThan(3);
    Random rnd = new Random(7);
    int refused = 0;
    int droppedLast = 0;
    for (int round = 0; round < 300; round++) {
      Path victim = files.get(rnd.nextInt(files.size()));
      long offset = rnd.nextInt((int) WalTest.recordsEnd(victim));
      WalTest.flipByte(victim, offset);
      try {
        Wal.Replay r = Wal.open(wal, 1024);
        r.wal().close();
        List<Entry> got = r.entriesAfter(0);
        assertThat(victim).as("only the last segment may lose its tail").isEqualTo(files.getLast());
        assertThat(got).as("flip at %s:%d", victim.getFileName(), offset)
            .isEqualTo(written.subList(0, got.size()));
        assertThat(got.size()).isGreaterThanOrEqualTo(written.size() - 1);
        droppedLast++;
      } catch (WalCorruptException e) {
        assertThat(e.getMessage()).contains(victim.getFileName().toString());
        refused++;
      }
      for (Map.Entry<Path, byte[]> p : pristine.entrySet()) {
        Files.write(p.getKey(), p.getValue());
      }
    }
    assertThat(refused).isGreaterThan(250);
    assertThat(refused + droppedLast).isEqualTo(300);
  }
}
