package io.kvorum.operator.member;

/**
 * What one member answered on its client port. {@link #unreachable()} when it did not answer.
 *
 * @param memberId      from the Maintenance.Status response header
 * @param leaderId      the leader this member follows (0 when it knows none)
 * @param appliedIndex  Raft applied index
 * @param revision      store revision (the response header's)
 * @param alarm         the member reports errors such as an active NOSPACE alarm
 */
public record MemberProbe(
    boolean reachable,
    String serverVersion,
    String clusterVersion,
    boolean healthy,
    long memberId,
    long leaderId,
    long appliedIndex,
    long revision,
    boolean learner,
    boolean alarm) {

  public static MemberProbe unreachable() {
    return new MemberProbe(false, null, null, false, 0, 0, -1, 0, false, false);
  }

  public boolean isLeader() {
    return reachable && memberId != 0 && memberId == leaderId;
  }
}
