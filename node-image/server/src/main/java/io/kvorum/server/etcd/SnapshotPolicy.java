package io.kvorum.server.etcd;

/**
 * When a member snapshots its applied state and how much of the Raft log it keeps in memory
 * afterwards for slow followers.
 *
 * <p>etcd snapshots every {@code --snapshot-count} applied entries (100,000 by default) and
 * then keeps the last 5,000 entries in memory. That bounds the log by a count, not by size: at
 * 100,000 entries of 32 KiB values the log holds about 3 GiB, which etcd's Go heap simply grows
 * to, and which a JVM with a bounded heap (a container's memory limit) cannot hold. So a
 * snapshot is also due once the applied entries in memory reach {@code logBytes}, and the
 * compaction after it keeps at most half of that. Worked example with {@code snapshotCount =
 * 100,000} and {@code logBytes = 256 MiB}: with 1 KiB puts a snapshot comes every 100,000
 * entries (about 100 MiB, the count triggers first) and 5,000 entries stay; with 32 KiB puts it
 * comes after about 8,000 entries (256 MiB) and about 4,000 entries (128 MiB) stay.
 *
 * @param snapshotCount {@code --snapshot-count}: applied entries between two snapshots
 * @param logBytes {@code --snapshot-log-bytes}: bytes of applied entries in memory that make a
 *     snapshot due as well
 */
public record SnapshotPolicy(long snapshotCount, long logBytes) {
  /** Entries etcd keeps after a snapshot so slow followers catch up without one. */
  static final long MAX_CATCH_UP_ENTRIES = 5000;

  public SnapshotPolicy {
    if (snapshotCount < 1 || logBytes < 1) {
      throw new IllegalArgumentException("snapshotCount and logBytes must be positive: " + snapshotCount + ", " + logBytes);
    }
  }

  /**
   * Whether to snapshot at {@code appliedIndex}, given the last snapshot's index and the bytes
   * of the in-memory entries at or below {@code appliedIndex}.
   */
  public boolean isDue(long appliedIndex, long snapshotIndex, long appliedLogBytes) {
    long sinceSnapshot = appliedIndex - snapshotIndex;
    return sinceSnapshot > 0 && (sinceSnapshot >= snapshotCount || appliedLogBytes >= logBytes);
  }

  /** Entries to keep in memory after a snapshot, at most. */
  public long keepEntries() {
    return Math.min(MAX_CATCH_UP_ENTRIES, snapshotCount);
  }

  /** Bytes of entries to keep in memory after a snapshot, at most (the entry at the snapshot always stays). */
  public long keepBytes() {
    return logBytes / 2;
  }
}
