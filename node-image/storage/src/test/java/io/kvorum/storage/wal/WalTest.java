package io.kvorum.storage.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.SnapshotMetadata;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalTest {
  private static final ByteString META = ByteString.copyFromUtf8("cluster-1/member-7");

  @TempDir
  Path dir;

  static Entry entry(long index, long term) {
    return Entry.newBuilder().setIndex(index).setTerm(term)
        .setData(ByteString.copyFromUtf8("data-" + index + "-" + term)).build();
  }

  static List<Entry> entries(long from, long to, long term) {
    List<Entry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(entry(i, term));
    }
    return out;
  }

  @Test
  void replaysWhatWasSaved() {
    HardState hs = HardState.newBuilder().setTerm(2).setVote(1).setCommit(5).build();
    try (Wal wal = Wal.create(dir, META, Wal.DEFAULT_SEGMENT_BYTES)) {
      wal.save(hs, entries(1, 10, 2), true);
    }
    Wal.Replay r = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES);
    r.wal().close();
    assertThat(r.metadata()).isEqualTo(META);
    assertThat(r.hardState()).isEqualTo(hs);
    assertThat(r.entriesAfter(0)).isEqualTo(entries(1, 10, 2));
    assertThat(r.repairedTailBytes()).isZero();
    assertThat(r.wal().fsyncDurations().count()).isZero();
  }

  @Test
  void groupCommitIsOneFsyncPerSave() {
    try (Wal wal = Wal.create(dir, META, Wal.DEFAULT_SEGMENT_BYTES)) {
      wal.save(HardState.newBuilder().setTerm(1).build(), entries(1, 100, 1), true);
      wal.save(HardState.newBuilder().setTerm(1).setCommit(50).build(), List.of(), false);
      assertThat(wal.fsyncDurations().count()).isEqualTo(1);
      assertThat(wal.fsyncDurations().cumulativeCounts()[13]).isEqualTo(1);
    }
  }

  @Test
  void laterEntryWithSameIndexReplacesTheSuffix() {
    try (Wal wal = Wal.create(dir, META, Wal.DEFAULT_SEGMENT_BYTES)) {
      wal.save(HardState.getDefaultInstance(), entries(1, 10, 1), true);
      // a new leader overwrites 6..10 with its own 6..7
      wal.save(HardState.newBuilder().setTerm(2).build(), entries(6, 7, 2), true);
    }
    Wal.Replay r = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES);
    r.wal().close();
    List<Entry> expected = new ArrayList<>(entries(1, 5, 1));
    expected.addAll(entries(6, 7, 2));
    assertThat(r.entriesAfter(0)).isEqualTo(expected);
  }

  @Test
  void tornTailIsCutOffAndAppendingContinues() throws IOException {
    try (Wal wal = Wal.create(dir, META, Wal.DEFAULT_SEGMENT_BYTES)) {
      wal.save(HardState.getDefaultInstance(), entries(1, 5, 1), true);
    }
    Path seg = Wal.segments(dir).getLast();
    long clean = recordsEnd(seg);
    byte[] partial = Records.encode(RecordType.ENTRY, entry(6, 1).toByteArray());
    writeAt(seg, clean, java.util.Arrays.copyOf(partial, partial.length - 3));

    Wal.Replay r = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES);
    assertThat(r.repairedTailBytes()).isEqualTo(partial.length - 3);
    assertThat(recordsEnd(seg)).isEqualTo(clean);
    assertThat(zerosFrom(seg, clean)).as("the torn write was wiped").isTrue();
    assertThat(r.entriesAfter(0)).isEqualTo(entries(1, 5, 1));
    r.wal().save(HardState.getDefaultInstance(), entries(6, 7, 1), true);
    r.wal().close();
    Wal.Replay again = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES);
    again.wal().close();
    assertThat(again.entriesAfter(0)).isEqualTo(entries(1, 7, 1));
  }

  @Test
  void lastRecordWithBadChecksumAtEndOfFileIsATornWrite() throws IOException {
    try (Wal wal = Wal.create(dir, META, Wal.DEFAULT_SEGMENT_BYTES)) {
      wal.save(HardState.getDefaultInstance(), entries(1, 5, 1), true);
    }
    Path seg = Wal.segments(dir).getLast();
    flipByte(seg, recordsEnd(seg) - 2);
    Wal.Replay r = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES);
    r.wal().close();
    assertThat(r.entriesAfter(0)).isEqualTo(entries(1, 4, 1));
  }

  @Test
  void flippedByteInTheMiddleIsFatalAndNamesFileAndOffset() throws IOException {
    try (Wal wal = Wal.create(dir, META, Wal.DEFAULT_SEGMENT_BYTES)) {
      wal.save(HardState.getDefaultInstance(), entries(1, 50, 1), true);
    }
    Path seg = Wal.segments(dir).getLast();
    long size = recordsEnd(seg);
    byte[] before = Files.readAllBytes(seg);
    flipByte(seg, size / 2);
    before[(int) (size / 2)] ^= 0x5a;
    assertThatThrownBy(() -> Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES))
        .isInstanceOf(WalCorruptException.class)
        .hasMessageContaining(seg.toString())
        .hasMessageContaining("at offset ")
        .satisfies(e -> {
          WalCorruptException w = (WalCorruptException) e;
          assertThat(w.file()).isEqualTo(seg);
          assertThat(w.offset()).isBetween(0L, size / 2);
        });
    assertThat(Files.readAllBytes(seg)).as("nothing was changed").isEqualTo(before);
  }

  @Test
  void flippedLengthByteIsNotMistakenForATornTail() throws IOException {
    try (Wal wal = Wal.create(dir, META, Wal.DEFAULT_SEGMENT_BYTES)) {
      wal.save(HardState.getDefaultInstance(), entries(1, 3, 1), true);
      wal.save(HardState.getDefaultInstance(), entries(4, 6, 1), true);
    }
    Path seg = Wal.segments(dir).getLast();
    // the first byte of the third entry record's length: it would point past end of file
    long offset = recordsEnd(seg) - 4L * Records.encode(RecordType.ENTRY, entry(3, 1).toByteArray()).length;
    flipByte(seg, offset);
    assertThatThrownBy(() -> Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES))
        .isInstanceOf(WalCorruptException.class)
        .hasMessageContaining("offset " + offset);
  }

  @Test
  void segmentsAreCutAndReleasedAfterASnapshot() {
    long segment = 4096;
    try (Wal wal = Wal.create(dir, META, segment)) {
      for (long i = 1; i <= 400; i += 10) {
        wal.save(HardState.newBuilder().setTerm(1).setCommit(i).build(), entries(i, i + 9, 1), true);
      }
      assertThat(Wal.segments(dir).size()).isGreaterThan(3);
      wal.saveSnapshot(SnapshotMetadata.newBuilder().setIndex(300).setTerm(1).build());
      wal.releaseTo(300);
    }
    List<Path> left = Wal.segments(dir);
    Wal.Replay r = Wal.open(dir, segment);
    r.wal().close();
    assertThat(r.entries().firstKey()).isLessThanOrEqualTo(301L);
    assertThat(r.entriesAfter(300)).isEqualTo(entries(301, 400, 1));
    assertThat(r.snapshots()).extracting(SnapshotMetadata::getIndex).contains(300L);
    assertThat(r.hardState().getCommit()).isEqualTo(391);
    assertThat(r.metadata()).isEqualTo(META);
    assertThat(left.getFirst().getFileName().toString()).isNotEqualTo("0000000000000000-0000000000000001.wal");
  }

  @Test
  void missingEntriesAfterTheSnapshotAreFatal() throws IOException {
    long segment = 2048;
    try (Wal wal = Wal.create(dir, META, segment)) {
      for (long i = 1; i <= 200; i += 10) {
        wal.save(HardState.getDefaultInstance(), entries(i, i + 9, 1), true);
      }
    }
    Files.delete(Wal.segments(dir).get(1));
    Wal.Replay r = Wal.open(dir, segment);
    r.wal().close();
    assertThatThrownBy(() -> r.entriesAfter(0))
        .isInstanceOf(WalCorruptException.class)
        .hasMessageContaining("are missing");
  }

  @Test
  void theLastSegmentIsPreallocatedAndAppendsOverwriteItsZeros() throws IOException {
    Path seg = preallocatedWalOfFiveEntries();
    long end = recordsEnd(seg);
    assertThat(Files.size(seg)).isEqualTo(SMALL_SEGMENT);
    assertThat(zerosFrom(seg, end)).isTrue();

    Wal.Replay r = Wal.open(dir, SMALL_SEGMENT);
    assertThat(r.repairedTailBytes()).as("zeros are not damage").isZero();
    Wal.Replay again = appendAndReopen(r, entries(6, 9, 1));
    assertThat(Files.size(seg)).isEqualTo(SMALL_SEGMENT);
    assertThat(recordsEnd(seg)).isGreaterThan(end);
    assertThat(again.entriesAfter(0)).isEqualTo(entries(1, 9, 1));
    assertThat(dir.toFile().list()).as("no spare is left behind").containsExactly(seg.getFileName().toString());
  }

  @Test
  void cutSegmentsAreTruncatedToTheirRecords() throws IOException {
    long segment = 2048;
    try (Wal wal = Wal.create(dir, META, segment)) {
      for (long i = 1; i <= 200; i += 10) {
        wal.save(HardState.getDefaultInstance(), entries(i, i + 9, 1), true);
      }
    }
    List<Path> segments = Wal.segments(dir);
    assertThat(segments.size()).isGreaterThan(2);
    for (Path p : segments.subList(0, segments.size() - 1)) {
      assertThat(Files.size(p)).as("%s", p).isEqualTo(recordsEnd(p)).isGreaterThanOrEqualTo(segment);
    }
    assertThat(Files.size(segments.getLast())).isEqualTo(segment);
    Wal.Replay r = Wal.open(dir, segment);
    r.wal().close();
    assertThat(r.entriesAfter(0)).isEqualTo(entries(1, 200, 1));
  }

  @Test
  void aWriteThatLandedAfterAZeroHeaderIsTornAndWiped() throws IOException {
    Path seg = preallocatedWalOfFiveEntries();
    long end = recordsEnd(seg);
    // a crash persisted the second page of a write but not its first
    writeAt(seg, end + 4096, Records.encode(RecordType.ENTRY, entry(7, 1).toByteArray()));

    Wal.Replay r = Wal.open(dir, SMALL_SEGMENT);
    assertThat(r.entriesAfter(0)).isEqualTo(entries(1, 5, 1));
    assertThat(r.repairedTailBytes()).isEqualTo(4096 + Records.encode(RecordType.ENTRY, entry(7, 1).toByteArray()).length);
    assertThat(zerosFrom(seg, end)).isTrue();
    Wal.Replay again = appendAndReopen(r, entries(6, 6, 1));
    assertThat(again.entriesAfter(0)).isEqualTo(entries(1, 6, 1));
    assertThat(again.repairedTailBytes()).isZero();
  }

  @Test
  void aShortLastSegmentFromAnOlderBuildGetsItsZeros() throws IOException {
    Path seg = preallocatedWalOfFiveEntries();
    long end = recordsEnd(seg);
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
      ch.truncate(end);
    }
    Wal.Replay r = Wal.open(dir, SMALL_SEGMENT);
    assertThat(r.repairedTailBytes()).isZero();
    assertThat(Files.size(seg)).isEqualTo(SMALL_SEGMENT);
    Wal.Replay again = appendAndReopen(r, entries(6, 6, 1));
    assertThat(again.entriesAfter(0)).isEqualTo(entries(1, 6, 1));
  }

  private static final long SMALL_SEGMENT = 64 * 1024;

  /** A new WAL with small segments holding entries 1-5; returns its (only) segment. */
  private Path preallocatedWalOfFiveEntries() {
    try (Wal wal = Wal.create(dir, META, SMALL_SEGMENT)) {
      wal.save(HardState.getDefaultInstance(), entries(1, 5, 1), true);
    }
    return Wal.segments(dir).getLast();
  }

  /** Appends {@code more} to a replayed WAL, closes it, and replays it again. */
  private Wal.Replay appendAndReopen(Wal.Replay r, List<Entry> more) {
    r.wal().save(HardState.getDefaultInstance(), more, true);
    r.wal().close();
    Wal.Replay again = Wal.open(dir, SMALL_SEGMENT);
    again.wal().close();
    return again;
  }

  /** Where a segment's records end (the rest is zeros or a torn write). */
  static long recordsEnd(Path segment) throws IOException {
    SegmentReader r = new SegmentReader(segment, Files.readAllBytes(segment), true);
    while (r.next() != null) {
      // read to the end
    }
    return r.end();
  }

  static boolean zerosFrom(Path file, long offset) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    for (int i = (int) offset; i < bytes.length; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  static void writeAt(Path file, long offset, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(bytes), offset);
    }
  }

  static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 0x5a));
      b.rewind();
      ch.write(b, offset);
    }
  }
}
