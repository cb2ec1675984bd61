package io.kvorum.operator.planner;

/**
 * One member slot (ordinal) as seen at the start of a reconcile: its pod and volume in
 * Kubernetes, and what the member itself answered (absent fields mean it did not answer).
 *
 * @param memberId     Raft member id, or null when the slot is not in the member list
 * @param podVersion   the version label of the pod (the image it runs), null without a pod
 * @param serverVersion what the member's /version said, null when unreachable
 * @param appliedIndex the Raft applied index from Maintenance.Status, -1 when unknown
 * @param certificatesCurrent the pod runs the current TLS files (its tls-revision matches the
 *                     Secrets'); true without TLS or without a pod
 * @param podReady     the kubelet reports the pod Ready (its /readyz passes), so the client
 *                     Service sends it clients
 * @param podReadyChanged when the pod's Ready condition last changed, null when unknown
 * @param drainedAt    when the operator last drained the member (its pod's {@code
 *                     kvorum.io/drained-at} annotation), null when never
 */
public record ObservedMember(
    int ordinal,
    String name,
    PodState pod,
    String podVersion,
    boolean pvc,
    Long memberId,
    boolean learner,
    boolean healthy,
    String serverVersion,
    boolean leader,
    long appliedIndex,
    boolean alarm,
    boolean certificatesCurrent,
    boolean podReady,
    java.time.Instant podReadyChanged,
    java.time.Instant drainedAt) {

  public enum PodState {
    /** No pod. */
    ABSENT,
    /** Created, not running yet (scheduling, pulling, starting). */
    PENDING,
    RUNNING,
    /** Deletion requested, still there: a pod with the same name cannot be created yet. */
    TERMINATING,
    /** Exited and will not restart (phase Failed or Succeeded). */
    FAILED
  }

  public boolean inMemberList() {
    return memberId != null;
  }

  public boolean voter() {
    return memberId != null && !learner;
  }

  public boolean runs(String version) {
    return version.equals(serverVersion) && version.equals(podVersion);
  }

  /** Runs {@code version} with the current certificates: nothing left to roll for this member. */
  public boolean current(String version) {
    return runs(version) && certificatesCurrent;
  }
}
