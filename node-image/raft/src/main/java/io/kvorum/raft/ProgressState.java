package io.kvorum.raft;

/** How a leader currently replicates to one follower. */
public enum ProgressState {
  /**
   * The leader does not know where the follower's log matches: it sends one append per heartbeat
   * interval and waits for the answer (a rejection backtracks, an acceptance switches to {@link
   * #REPLICATE}).
   */
  PROBE,
  /**
   * The logs match up to {@code match}: the leader streams appends optimistically, up to the
   * in-flight window.
   */
  REPLICATE,
  /**
   * The entries the follower needs were compacted: a snapshot is on its way and nothing else is
   * sent until the transport reports the outcome or the follower acknowledges it.
   */
  SNAPSHOT
}
