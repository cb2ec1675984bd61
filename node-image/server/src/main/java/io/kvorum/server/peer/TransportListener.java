package io.kvorum.server.peer;

/** What the transport tells the Raft loop; called from transport threads, must not block. */
public interface TransportListener {

  /** A message to {@code memberId} could not be delivered (Raft's {@code ReportUnreachable}). */
  void unreachable(long memberId);

  /** A snapshot send finished (Raft's {@code ReportSnapshot}). */
  void snapshotStatus(long memberId, boolean delivered);

  /**
   * {@code memberId} refused this member's stream, for {@code reason} (for example this member
   * was removed from the cluster).
   */
  default void refused(long memberId, String reason) {}
}
