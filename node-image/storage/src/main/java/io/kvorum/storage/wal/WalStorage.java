package io.kvorum.storage.wal;

import com.google.protobuf.ByteString;
import io.kvorum.raft.Storage;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Snapshot;
import io.kvorum.raft.pb.SnapshotMetadata;
import io.kvorum.storage.LatencyHistogram;
import io.kvorum.storage.snap.Snapshotter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Raft {@link Storage} of a member: the log as recovered from the WAL and snap/, plus
 * everything appended since, kept in memory from the last compaction point, with every change
 * made durable before it is visible.
 *
 * <p>The Raft loop calls, for each {@code Ready}: {@link #applySnapshot(Snapshot)} if it carries
 * one, then {@link #save(HardState, List, boolean)}, then sends messages and applies. After the
 * server applied up to index {@code i} and wants a snapshot: {@link #createSnapshot(long,
 * ConfState, ByteString)} then {@link #compact(long)} to drop old entries from memory (keeping
 * some for slow followers), which also releases WAL segments the snapshot covers.
 *
 * <p>Indexes: entries {@code [firstIndex(), lastIndex()]} are in memory; the entry at
 * {@code firstIndex() - 1} is known only by its term (the snapshot's, or the compaction
 * point's). Example: snapshot at 100 (term 3), entries 101..150: {@code term(100) == 3},
 * {@code entries(100, ...)} throws CompactedException.
 *
 * <p>Thread-safe (synchronized): the Raft loop writes, other threads may read.
 */
public final class WalStorage implements Storage, AutoCloseable {
  private final Wal wal;
  private final Snapshotter snapshotter;
  private HardState hardState;
  private Snapshot snapshot;
  /** Index and term of the entry just before {@code entries.get(0)}. */
  private long baseIndex;
  private long baseTerm;
  private final List<Entry> entries = new ArrayList<>();
  /** Serialized size of {@link #entries}: what the in-memory log costs on the heap. */
  private long entryBytes;
  private final long repairedTailBytes;
  /** The configuration as of the applied index, when the server knows it; else the snapshot's. */
  private ConfState appliedConfState;

  private WalStorage(Wal wal, Snapshotter snapshotter, HardState hs, Snapshot snapshot,
      List<Entry> entries, long repairedTailBytes) {
    this.wal = wal;
    this.snapshotter = snapshotter;
    this.hardState = hs;
    this.snapshot = snapshot;
    this.baseIndex = snapshot.getMetadata().getIndex();
    this.baseTerm = snapshot.getMetadata().getTerm();
    this.entries.addAll(entries);
    this.entryBytes = sizeOf(entries);
    this.repairedTailBytes = repairedTailBytes;
  }

  /** A new member's empty log, with the server's {@code metadata} (cluster and member id). */
  public static WalStorage create(Path walDir, Path snapDir, ByteString metadata, long segmentBytes) {
    Wal wal = Wal.create(walDir, metadata, segmentBytes);
    return new WalStorage(wal, new Snapshotter(snapDir), HardState.getDefaultInstance(),
        Snapshot.getDefaultInstance(), List.of(), 0);
  }

  /**
   * Recovers the log: the newest snapshot the WAL has a marker for, the hard state, and the
   * entries after the snapshot, after repairing a torn WAL tail.
   *
   * @throws WalCorruptException if the WAL is damaged anywhere but its tail, or has a gap
   */
  public static WalStorage open(Path walDir, Path snapDir, long segmentBytes) {
    Wal.Replay replay = Wal.open(walDir, segmentBytes);
    Snapshotter snapshotter = new Snapshotter(snapDir);
    Snapshot snap = snapshotter.loadNewestValid(replay.snapshots());
    if (snap == null) {
      snap = Snapshot.getDefaultInstance();
    }
    List<Entry> entries = replay.entriesAfter(snap.getMetadata().getIndex());
    return new WalStorage(replay.wal(), snapshotter, replay.hardState(), snap, entries,
        replay.repairedTailBytes());
  }

  /** The server's metadata given at creation. */
  public ByteString metadata() {
    return wal.metadata();
  }

  /** Non-zero bytes of a torn write wiped during recovery (0 if the WAL ended cleanly). */
  public long repairedTailBytes() {
    return repairedTailBytes;
  }

  /** etcd_disk_wal_fsync_duration_seconds. */
  public LatencyHistogram fsyncDurations() {
    return wal.fsyncDurations();
  }

  // ---------------------------------------------------------------- Storage

  @Override
  public synchronized InitialState initialState() {
    ConfState cs = appliedConfState != null ? appliedConfState : snapshot.getMetadata().getConfState();
    return new InitialState(hardState, cs);
  }

  /**
   * Sets the configuration {@link #initialState()} reports: the Raft core must start with the
   * membership as of the applied index ({@code Config.applied}), which the snapshot's may
   * predate. Pass {@code MvccStore.confState()}, which the apply loop stored atomically with
   * the consistent index; without it the snapshot's configuration is used.
   */
  public synchronized void useAppliedConfState(ConfState confState) {
    this.appliedConfState = confState;
  }

  @Override
  public synchronized List<Entry> entries(long lo, long hi, long maxBytes) {
    if (lo <= baseIndex) {
      throw new CompactedException(lo, baseIndex);
    }
    if (hi > lastIndexLocked() + 1) {
      throw new UnavailableException(hi - 1, lastIndexLocked());
    }
    List<Entry> out = new ArrayList<>();
    long size = 0;
    for (long i = lo; i < hi; i++) {
      Entry e = entries.get((int) (i - baseIndex - 1));
      size += e.getSerializedSize();
      if (!out.isEmpty() && size > maxBytes) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  @Override
  public synchronized long term(long index) {
    if (index == baseIndex) {
      return baseTerm;
    }
    if (index < baseIndex) {
      throw new CompactedException(index, baseIndex);
    }
    if (index > lastIndexLocked()) {
      throw new UnavailableException(index, lastIndexLocked());
    }
    return entries.get((int) (index - baseIndex - 1)).getTerm();
  }

  @Override
  public synchronized long firstIndex() {
    return baseIndex + 1;
  }

  @Override
  public synchronized long lastIndex() {
    return lastIndexLocked();
  }

  private long lastIndexLocked() {
    return baseIndex + entries.size();
  }

  @Override
  public synchronized Snapshot snapshot() {
    return snapshot;
  }

  // ---------------------------------------------------------------- persisting a Ready

  /**
   * Makes a Ready's hard state and entries durable (one write, one fsync if {@code mustSync}),
   * then visible. Entries may overwrite a conflicting suffix: an entry at index {@code i}
   * replaces {@code i} and everything after it. Entries at or below the compaction point are
   * skipped (as MemoryStorage does).
   */
  public synchronized void save(HardState hs, List<Entry> newEntries, boolean mustSync) {
    if (!newEntries.isEmpty() && newEntries.getFirst().getIndex() <= baseIndex) {
      // entries the snapshot or compaction already covers: keep only what follows
      long skip = Math.min(newEntries.size(), baseIndex + 1 - newEntries.getFirst().getIndex());
      newEntries = newEntries.subList((int) skip, newEntries.size());
    }
    if (!newEntries.isEmpty() && newEntries.getFirst().getIndex() > lastIndexLocked() + 1) {
      throw new IllegalArgumentException("raft: appending entry " + newEntries.getFirst().getIndex()
          + " leaves a gap after " + lastIndexLocked());
    }
    wal.save(hs, newEntries, mustSync);
    if (!newEntries.isEmpty()) {
      int keep = (int) (newEntries.getFirst().getIndex() - baseIndex - 1);
      List<Entry> replaced = entries.subList(keep, entries.size());
      entryBytes -= sizeOf(replaced);
      replaced.clear();
      entries.addAll(newEntries);
      entryBytes += sizeOf(newEntries);
    }
    if (hs != null && !hs.equals(HardState.getDefaultInstance())) {
      hardState = hs;
    }
  }

  /**
   * Installs a snapshot received from the leader: saves it, marks it in the WAL, and replaces
   * the log (every entry at or below its index is covered; later ones are discarded, as the
   * leader sends them again).
   */
  public synchronized void applySnapshot(Snapshot s) {
    SnapshotMetadata m = s.getMetadata();
    if (m.getIndex() <= snapshot.getMetadata().getIndex()) {
      throw new IllegalArgumentException("raft: snapshot " + m.getIndex()
          + " is not newer than the current one " + snapshot.getMetadata().getIndex());
    }
    snapshotter.save(s);
    wal.saveSnapshot(m);
    snapshot = s;
    baseIndex = m.getIndex();
    baseTerm = m.getTerm();
    entries.clear();
    entryBytes = 0;
    wal.releaseTo(m.getIndex());
  }

  /**
   * Records a snapshot of the applied state at {@code index} (which must be in the log) with the
   * membership and the server's data, durable in snap/ and marked in the WAL.
   */
  public synchronized Snapshot createSnapshot(long index, ConfState confState, ByteString data) {
    if (index <= snapshot.getMetadata().getIndex()) {
      throw new IllegalArgumentException("raft: snapshot index " + index
          + " is not after the current snapshot " + snapshot.getMetadata().getIndex());
    }
    if (index > lastIndexLocked()) {
      throw new UnavailableException(index, lastIndexLocked());
    }
    SnapshotMetadata m = SnapshotMetadata.newBuilder()
        .setIndex(index).setTerm(term(index)).setConfState(confState).build();
    Snapshot s = Snapshot.newBuilder().setMetadata(m).setData(data).build();
    snapshotter.save(s);
    wal.saveSnapshot(m);
    snapshot = s;
    return s;
  }

  /**
   * Drops entries at or below {@code compactIndex} from memory (it must not pass the snapshot)
   * and deletes WAL segments the current snapshot covers.
   */
  public synchronized void compact(long compactIndex) {
    long snapIndex = snapshot.getMetadata().getIndex();
    if (compactIndex > snapIndex) {
      throw new IllegalArgumentException("raft: compacting to " + compactIndex
          + " past the snapshot at " + snapIndex);
    }
    if (compactIndex > baseIndex) {
      long newBaseTerm = term(compactIndex);
      List<Entry> dropped = entries.subList(0, (int) (compactIndex - baseIndex));
      entryBytes -= sizeOf(dropped);
      dropped.clear();
      baseIndex = compactIndex;
      baseTerm = newBaseTerm;
    }
    wal.releaseTo(snapIndex);
    snapshotter.purge(5);
  }

  /**
   * Bytes of the in-memory entries at or below {@code index} (serialized sizes): what a snapshot
   * at {@code index} and a compaction could free. Example: entries 101..150 of 1 KiB each
   * in memory, {@code bytesThrough(120) == 20 KiB}.
   */
  public synchronized long bytesThrough(long index) {
    long bytes = entryBytes;
    for (long i = lastIndexLocked(); i > Math.max(index, baseIndex); i--) {
      bytes -= entries.get((int) (i - baseIndex - 1)).getSerializedSize();
    }
    return bytes;
  }

  /**
   * Where to {@link #compact(long)} so that, of the entries at or below {@code index}, at most
   * {@code keepEntries} and at most {@code keepBytes} bytes stay in memory for slow followers
   * (always at least the entry at {@code index}, whatever its size). Example: entries 101..150
   * of 1 KiB each, {@code compactionPoint(150, 5000, 10 KiB) == 140}: 141..150 stay.
   */
  public synchronized long compactionPoint(long index, long keepEntries, long keepBytes) {
    long bytes = 0;
    long i = Math.min(index, lastIndexLocked());
    for (; i > baseIndex && index - i < keepEntries; i--) {
      bytes += entries.get((int) (i - baseIndex - 1)).getSerializedSize();
      if (bytes > keepBytes && i < index) {
        break;
      }
    }
    return i;
  }

  private static long sizeOf(List<Entry> list) {
    long bytes = 0;
    for (Entry e : list) {
      bytes += e.getSerializedSize();
    }
    return bytes;
  }

  @Override
  public synchronized void close() {
    wal.close();
  }
}
