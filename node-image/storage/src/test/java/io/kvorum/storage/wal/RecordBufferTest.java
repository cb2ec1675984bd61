package io.kvorum.storage.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's records are byte for byte the documented layout, however big a write gets. */
class RecordBufferTest {
  @TempDir Path dir;

  private static Entry entry(long index, int dataBytes) {
    byte[] data = new byte[dataBytes];
    new Random(index).nextBytes(data);
    return Entry.newBuilder().setIndex(index).setTerm(3).setData(ByteString.copyFrom(data)).build();
  }

  @Test
  void writesEachRecordInTheDocumentedLayoutAndStartsEmptyAfterAWrite() throws Exception {
    Path file = dir.resolve("records");
    RecordBuffer records = new RecordBuffer();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    ByteString metadata = ByteString.copyFromUtf8("cluster metadata");
    HardState hs = HardState.newBuilder().setTerm(3).setVote(2).setCommit(7).build();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      records.add(RecordType.METADATA, metadata);
      expected.write(Records.encode(RecordType.METADATA, metadata.toByteArray()));
      records.add(RecordType.HARD_STATE, hs);
      expected.write(Records.encode(RecordType.HARD_STATE, hs.toByteArray()));
      records.writeTo(ch);
      // Past the initial 64 KiB in one write, then past the size a buffer is kept at.
      for (int round = 0; round < 2; round++) {
        int bytes = round == 0 ? 40_000 : RecordBuffer.KEPT_BYTES;
        for (int i = 0; i < 3; i++) {
          Entry e = entry(round * 10L + i, bytes);
          records.add(RecordType.ENTRY, e);
          expected.write(Records.encode(RecordType.ENTRY, e.toByteArray()));
        }
        records.writeTo(ch);
      }
      Entry last = entry(99, 10);
      records.add(RecordType.ENTRY, last);
      expected.write(Records.encode(RecordType.ENTRY, last.toByteArray()));
      records.writeTo(ch);
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(expected.toByteArray());
  }
}
