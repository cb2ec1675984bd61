package io.kvorum.storage.wal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.SnapshotMetadata;
import io.kvorum.storage.LatencyHistogram;
import io.kvorum.storage.failpoint.Failpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The Raft write-ahead log: segment files of checksummed records, appended and fsynced before
 * Raft may act on them.
 *
 * <p><b>Files.</b> {@code <seq>-<firstIndex>.wal}, both 16 hex digits: {@code seq} counts
 * segments from 0, {@code firstIndex} is the index the next entry had when the segment was cut.
 * A segment is cut once it exceeds the segment size; each segment starts with the metadata
 * record, the latest snapshot marker and the latest hard state, so older segments can be
 * deleted once a snapshot covers their entries ({@link #releaseTo(long)}).
 *
 * <p><b>Preallocation.</b> The last segment is a file of the full segment size whose unwritten
 * rest is zeros, so an fsync after an append writes data only ({@link SpareSegments} says why
 * and how much that saves). Records end where the zeros start. A segment is truncated to its
 * records when it is cut, so only the last one has zeros at its end.
 *
 * <p><b>Record.</b> 13-byte header, then the payload:
 * <pre>
 *   u32 length | u32 crc32c(length, type) | u8 type | u32 crc32c(payload) | payload
 * </pre>
 * (big-endian). The header has its own checksum so a damaged length is told apart from a torn
 * write.
 *
 * <p><b>Recovery rules.</b> Reading stops cleanly at a <em>torn tail</em> of the last segment (a
 * partial header, a payload cut short by end of file, a final record whose header or payload
 * checksum fails and after which there are only zeros or the end of the file) and the tail is
 * zeroed: it was never fsynced, so never acknowledged. Any other damage (a bad header checksum
 * or a bad payload followed by more data, an unknown type, a short or zero-filled non-last
 * segment) is a {@link WalCorruptException} naming the file and offset; nothing is skipped.
 *
 * <p><b>Group commit.</b> {@link #save} writes the hard state and all entries of one Raft
 * {@code Ready} with one write and, when {@code mustSync}, one {@code fsync}, whose duration is
 * recorded in {@link #fsyncDurations()} (etcd_disk_wal_fsync_duration_seconds). Not thread-safe
 * beyond its synchronized methods: one Raft loop appends.
 */
public final class Wal implements AutoCloseable {
  public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;
  static final int HEADER_BYTES = 13;
  private static final Pattern NAME = Pattern.compile("([0-9a-f]{16})-([0-9a-f]{16})\\.wal");

  private final Path dir;
  private final long segmentBytes;
  private final ByteString metadata;
  private final LatencyHistogram fsyncDurations = new LatencyHistogram();
  private final SpareSegments spares;
  private final RecordBuffer records = new RecordBuffer();
  private FileChannel tail;
  private long tailSeq;
  private long lastIndex;
  private HardState hardState;
  private SnapshotMetadata snapshot;

  private Wal(Path dir, long segmentBytes, ByteString metadata, long lastIndex,
      HardState hardState, SnapshotMetadata snapshot) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.metadata = metadata;
    this.lastIndex = lastIndex;
    this.hardState = hardState;
    this.snapshot = snapshot;
    this.spares = new SpareSegments(dir, segmentBytes);
  }

  /** Whether {@code dir} holds at least one WAL segment. */
  public static boolean exists(Path dir) {
    return !segments(dir).isEmpty();
  }

  /** Creates a new WAL in an empty (or missing) directory. */
  public static Wal create(Path dir, ByteString metadata, long segmentBytes) {
    Failpoints.checkConfiguration();
    if (exists(dir)) {
      throw new IllegalStateException("wal: " + dir + " already holds a WAL; open it instead");
    }
    try {
      Files.createDirectories(dir);
      Wal wal = new Wal(dir, segmentBytes, metadata, 0, HardState.getDefaultInstance(),
          SnapshotMetadata.getDefaultInstance());
      wal.startSegment(0, 1);
      return wal;
    } catch (IOException e) {
      throw new UncheckedIOException("wal: cannot create " + dir, e);
    }
  }

  /** Everything a WAL held, as replayed; the WAL itself is open for appending. */
  public record Replay(
      Wal wal,
      ByteString metadata,
      HardState hardState,
      NavigableMap<Long, Entry> entries,
      List<SnapshotMetadata> snapshots,
      long repairedTailBytes) {

    /**
     * The entries after {@code snapshotIndex}, which must be contiguous.
     *
     * @throws WalCorruptException when an entry is missing
     */
    public List<Entry> entriesAfter(long snapshotIndex) {
      List<Entry> out = new ArrayList<>(entries.tailMap(snapshotIndex, false).values());
      long expect = snapshotIndex + 1;
      for (Entry e : out) {
        if (e.getIndex() != expect) {
          throw new WalCorruptException("wal: entries " + expect + ".." + (e.getIndex() - 1)
              + " are missing after snapshot " + snapshotIndex + " in " + wal.dir
              + "; refusing to start from an incomplete log");
        }
        expect++;
      }
      return out;
    }
  }

  /**
   * Replays the WAL in {@code dir}, repairs a torn tail, and opens it for appending.
   *
   * @throws WalCorruptException when a record other than the tail is damaged
   */
  public static Replay open(Path dir, long segmentBytes) {
    Failpoints.checkConfiguration();
    List<Path> files = segments(dir);
    if (files.isEmpty()) {
      throw new IllegalStateException("wal: no segments in " + dir);
    }
    ByteString metadata = null;
    HardState hs = HardState.getDefaultInstance();
    SnapshotMetadata lastSnap = SnapshotMetadata.getDefaultInstance();
    List<SnapshotMetadata> snaps = new ArrayList<>();
    NavigableMap<Long, Entry> entries = new TreeMap<>();
    long repaired = 0;
    long tailEnd = 0;
    try {
      for (int i = 0; i < files.size(); i++) {
        Path f = files.get(i);
        boolean last = i == files.size() - 1;
        SegmentReader r = new SegmentReader(f, Files.readAllBytes(f), last);
        SegmentReader.Record rec;
        while ((rec = r.next()) != null) {
          switch (rec.type()) {
            case METADATA -> {
              ByteString m = ByteString.copyFrom(rec.payload());
              if (metadata != null && !metadata.equals(m)) {
                throw new WalCorruptException(f, rec.offset(), "metadata differs from earlier segments");
              }
              metadata = m;
            }
            case ENTRY -> {
              Entry e = Entry.parseFrom(rec.payload());
              entries.tailMap(e.getIndex(), true).clear(); // Raft overwrote a conflicting suffix
              entries.put(e.getIndex(), e);
            }
            case HARD_STATE -> hs = HardState.parseFrom(rec.payload());
            case SNAPSHOT -> {
              lastSnap = SnapshotMetadata.parseFrom(rec.payload());
              snaps.add(lastSnap);
            }
          }
        }
        if (last) {
          repaired = r.tornBytes();
          tailEnd = r.end();
        }
      }
      long lastIndex = entries.isEmpty() ? lastSnap.getIndex() : entries.lastKey();
      Wal wal = new Wal(dir, segmentBytes, metadata == null ? ByteString.EMPTY : metadata,
          lastIndex, hs, lastSnap);
      Path tailFile = files.getLast();
      wal.tailSeq = parse(tailFile)[0];
      wal.tail = FileChannel.open(tailFile, StandardOpenOption.WRITE);
      wal.preallocateTail(tailEnd, repaired);
      return new Replay(wal, wal.metadata, hs, entries, snaps, repaired);
    } catch (InvalidProtocolBufferException e) {
      throw new WalCorruptException("wal: a checksummed record in " + dir
          + " does not decode: " + e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("wal: cannot read " + dir, e);
    }
  }

  /**
   * Appends a Ready's hard state (if not empty) and entries with one write; fsyncs when
   * {@code mustSync} (etcd's rule: new entries, or a changed term or vote).
   */
  public synchronized void save(HardState hs, List<Entry> entries, boolean mustSync) {
    boolean hsChanged = hs != null && !hs.equals(HardState.getDefaultInstance())
        && !hs.equals(hardState);
    if (!hsChanged && entries.isEmpty()) {
      return;
    }
    for (Entry e : entries) {
      records.add(RecordType.ENTRY, e);
    }
    if (hsChanged) {
      records.add(RecordType.HARD_STATE, hs);
    }
    write();
    if (!entries.isEmpty()) {
      lastIndex = entries.getLast().getIndex();
    }
    if (hsChanged) {
      hardState = hs;
    }
    if (mustSync) {
      sync();
    }
    cutIfFull();
  }

  /**
   * Records that a snapshot at {@code meta}'s index and term was saved (after its snap file),
   * and fsyncs. On replay, only snapshots with such a marker are used.
   */
  public synchronized void saveSnapshot(SnapshotMetadata meta) {
    records.add(RecordType.SNAPSHOT, meta);
    write();
    snapshot = meta;
    if (meta.getIndex() > lastIndex) {
      lastIndex = meta.getIndex();
    }
    sync();
    cutIfFull();
  }

  /** Forces everything written to disk and records how long it took. */
  public synchronized void sync() {
    long start = System.nanoTime();
    try {
      Failpoints.hit(Failpoints.WAL_BEFORE_FSYNC);
      tail.force(false);
      Failpoints.hit(Failpoints.WAL_AFTER_FSYNC);
    } catch (IOException e) {
      throw new UncheckedIOException("wal: fsync of segment " + tailSeq + " in " + dir + " failed", e);
    }
    fsyncDurations.recordNanos(System.nanoTime() - start);
  }

  /**
   * Deletes segments whose entries are all at or below {@code snapshotIndex} (a snapshot with a
   * marker in this WAL covers them). The last segment always stays.
   */
  public synchronized void releaseTo(long snapshotIndex) {
    List<Path> files = segments(dir);
    try {
      boolean removed = false;
      for (int i = 0; i + 1 < files.size(); i++) {
        long nextFirst = parse(files.get(i + 1))[1];
        if (nextFirst > snapshotIndex + 1) {
          break;
        }
        Files.delete(files.get(i));
        removed = true;
      }
      if (removed) {
        syncDir(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("wal: cannot release old segments in " + dir, e);
    }
  }

  public LatencyHistogram fsyncDurations() {
    return fsyncDurations;
  }

  public ByteString metadata() {
    return metadata;
  }

  public Path dir() {
    return dir;
  }

  /** Segment files in order. */
  public static List<Path> segments(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("wal: cannot list " + dir, e);
    }
  }

  private static long[] parse(Path segment) {
    Matcher m = NAME.matcher(segment.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a WAL segment: " + segment);
    }
    return new long[] {Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16)};
  }

  private void cutIfFull() {
    try {
      long written = tail.position();
      if (written >= segmentBytes) {
        sync();
        tail.truncate(written);
        tail.force(true);
        tail.close();
        startSegment(tailSeq + 1, lastIndex + 1);
      } else if (written >= segmentBytes / 2) {
        spares.prepare();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("wal: cannot cut a new segment in " + dir, e);
    }
  }

  /**
   * Writes the head of a new segment into a zero-filled spare, then renames it into place: the
   * segment appears complete or not at all.
   */
  private void startSegment(long seq, long firstIndex) throws IOException {
    String name = String.format("%016x-%016x.wal", seq, firstIndex);
    Path spare = spares.take();
    Path target = dir.resolve(name);
    records.add(RecordType.METADATA, metadata);
    if (!snapshot.equals(SnapshotMetadata.getDefaultInstance())) {
      records.add(RecordType.SNAPSHOT, snapshot);
    }
    if (!hardState.equals(HardState.getDefaultInstance())) {
      records.add(RecordType.HARD_STATE, hardState);
    }
    long headBytes;
    try (FileChannel ch = FileChannel.open(spare, StandardOpenOption.WRITE)) {
      records.writeTo(ch);
      headBytes = ch.position();
      ch.force(false);
    }
    Files.move(spare, target, StandardCopyOption.ATOMIC_MOVE);
    syncDir(dir);
    tail = FileChannel.open(target, StandardOpenOption.WRITE);
    tail.position(headBytes);
    tailSeq = seq;
  }

  /**
   * Positions the reopened last segment at {@code end}, where its records end, and makes
   * everything after them zeros up to the segment size: the {@code tornBytes} of a torn write are
   * wiped (a shorter record written over it later must not be followed by its remains), and a
   * segment from a build that did not preallocate gets its zeros.
   */
  private void preallocateTail(long end, long tornBytes) throws IOException {
    long size = tail.size();
    if (tornBytes > 0 || size < segmentBytes) {
      SpareSegments.zeroFill(tail, end, end + tornBytes);
      SpareSegments.zeroFill(tail, size, segmentBytes);
      tail.force(true);
    }
    tail.position(end);
  }

  private void write() {
    try {
      records.writeTo(tail);
    } catch (IOException e) {
      throw new UncheckedIOException("wal: write to segment " + tailSeq + " in " + dir + " failed", e);
    }
  }

  /** The checksum of a record's length and type (big-endian), which the header carries. */
  static int headerCrc(int length, byte type) {
    CRC32C crc = new CRC32C();
    crc.update(length >>> 24);
    crc.update(length >>> 16);
    crc.update(length >>> 8);
    crc.update(length);
    crc.update(type);
    return (int) crc.getValue();
  }

  static void syncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  @Override
  public synchronized void close() {
    spares.close();
    try {
      tail.close();
    } catch (IOException e) {
      throw new UncheckedIOException("wal: close failed in " + dir, e);
    }
  }
}
