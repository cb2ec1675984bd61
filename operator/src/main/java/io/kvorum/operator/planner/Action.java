package io.kvorum.operator.planner;

import java.util.List;

/**
 * The one thing the operator does in a reconcile. Each is small and idempotent when repeated
 * after a crash: the next observation shows whether it happened.
 */
public sealed interface Action {

  /** Nothing to do until something changes; {@code reason} says what the operator waits for. */
  record Wait(String reason) implements Action { }

  /** Create the first members' volumes and pods, all with --initial-cluster-state new. */
  record Bootstrap(List<Integer> ordinals, int clusterSize, String version) implements Action { }

  /** Create the pod (and volume if missing) of a slot in the member list, --initial-cluster-state existing. */
  record CreatePod(int ordinal, String version) implements Action { }

  /** Stream a snapshot from the leader, verify its SHA-256, store it, record it in status.lastSnapshot. */
  record TakeSnapshot(int leaderOrdinal) implements Action { }

  /** Transfer leadership away from a member that must be replaced or removed. */
  record MoveLeader(int fromOrdinal, int toOrdinal, long toMemberId) implements Action { }

  /** Delete a member's pod so it is recreated with the upgrade's version on the same volume. */
  record DeletePod(int ordinal, String reason) implements Action { }

  /** MemberAdd as a learner with the slot's peer URL (its pod is created next). */
  record AddLearner(int ordinal) implements Action { }

  record PromoteLearner(int ordinal, long memberId) implements Action { }

  /**
   * Kvorum's Serving/Drain: the member fails its readiness for a while, so its pod leaves the
   * client Service before the member is removed and requests stop reaching it. The executor
   * records the time on the pod ({@link ObservedMember#drainedAt()}).
   */
  record DrainMember(int ordinal, long memberId) implements Action {
    /**
     * How long a drained member stays unready: enough for the readiness probe to fail (3 x 5 s),
     * the endpoints to follow and the removal; if the operator goes away it ends by itself.
     */
    public static final java.time.Duration LEASE = java.time.Duration.ofMinutes(2);
  }

  /** MemberRemove: the member leaves the Raft group before its pod is deleted. */
  record RemoveMember(int ordinal, long memberId) implements Action { }

  /** Delete the pod (and the volume when {@code deleteVolume}) of a slot that is not a member. */
  record DeleteMemberResources(int ordinal, boolean deleteVolume) implements Action { }
}
