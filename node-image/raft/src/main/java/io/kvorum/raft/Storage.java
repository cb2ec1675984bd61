package io.kvorum.raft;

import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Snapshot;
import java.util.List;

/**
 * The Raft log as persisted by the caller: what the core reads back, never writes.
 *
 * <p>The caller appends the entries and hard state of each {@code Ready} before calling
 * {@code advance()}, and applies snapshots and compaction itself. The core only reads, so an
 * implementation may be in memory (tests) or over a WAL (the node).
 *
 * <p>Indexes: the log holds entries {@code firstIndex() .. lastIndex()}. The entry just before
 * {@code firstIndex()} was compacted into the snapshot, whose index and term are still known
 * through {@link #term(long)} (the "dummy" entry that lets the core check log matching at the
 * snapshot boundary).
 */
public interface Storage {

  /** The hard state and membership to start from, as persisted. */
  InitialState initialState();

  /**
   * Entries in {@code [lo, hi)}, at most {@code maxBytes} of serialized size, but always at
   * least one entry when the range is not empty.
   *
   * @throws CompactedException if {@code lo <= } the snapshot index
   * @throws UnavailableException if {@code hi > lastIndex() + 1}
   */
  List<Entry> entries(long lo, long hi, long maxBytes);

  /**
   * The term of the entry at {@code index}, which may be the snapshot's index.
   *
   * @throws CompactedException if the entry was compacted away
   * @throws UnavailableException if the index is past the last entry
   */
  long term(long index);

  /** The index of the first entry still in the log (snapshot index + 1). */
  long firstIndex();

  /** The index of the last entry in the log (the snapshot index when the log is empty). */
  long lastIndex();

  /**
   * The most recent snapshot.
   *
   * @throws SnapshotTemporarilyUnavailableException if it is being made; the core retries later
   */
  Snapshot snapshot();

  /** Persisted state a member starts from. */
  record InitialState(HardState hardState, ConfState confState) {}

  /** The requested index is at or below the snapshot index: it was compacted away. */
  final class CompactedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CompactedException(long index, long snapshotIndex) {
      super("raft: index " + index + " is compacted (snapshot at " + snapshotIndex + ")");
    }
  }

  /** The requested index is past the last entry in the log. */
  final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnavailableException(long index, long lastIndex) {
      super("raft: index " + index + " is unavailable (last index " + lastIndex + ")");
    }
  }

  /** A snapshot is being prepared and is not ready yet. */
  final class SnapshotTemporarilyUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SnapshotTemporarilyUnavailableException() {
      super("raft: snapshot is temporarily unavailable");
    }
  }
}
