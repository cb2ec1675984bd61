package io.kvorum.operator.planner;

import io.kvorum.operator.planner.Action.AddLearner;
import io.kvorum.operator.planner.Action.DeleteMemberResources;
import io.kvorum.operator.planner.Action.DrainMember;
import io.kvorum.operator.planner.Action.MoveLeader;
import io.kvorum.operator.planner.Action.PromoteLearner;
import io.kvorum.operator.planner.Action.RemoveMember;
import io.kvorum.operator.planner.Action.Wait;
import io.kvorum.operator.planner.ObservedMember.PodState;
import io.kvorum.operator.planner.Plan.Notice;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;

/**
 * Membership changes, one member at a time, each a single Raft configuration change:
 * <pre>
 *   learner in the member list, healthy and caught up      --> PromoteLearner
 *   learner still catching up                              --> wait
 *   voters &lt; replicas, cluster healthy                      --> AddLearner(lowest free slot);
 *                                                              its pod follows (repair rule)
 *   voters &gt; replicas                                       --> remove the highest slot:
 *       the others would lack a healthy quorum             --> refuse (Degraded), touch nothing
 *       it is the leader                                   --> MoveLeader first
 *       its pod is Ready (in the client Service):
 *         drained less than half a lease ago, Ready since   --> wait for the readiness probe to fail
 *         otherwise (never, long ago, or it restarted since) --> DrainMember: its /readyz fails
 *       not Ready for less than {@link #ENDPOINTS_SETTLE}      --> wait for kube-proxy to follow
 *       otherwise                                          --> RemoveMember, then (next rule)
 *   a pod or volume of a slot outside the member list, at or above replicas
 *                                                          --> DeleteMemberResources (volume per
 *                                                              spec.storage.retention.whenScaled)
 * </pre>
 * A learner never votes, so adding one cannot cost quorum; only the promotion changes the
 * majority, and it happens once the learner holds the log. A removed member stops at once, so
 * requests that still reach it through the client Service fail; draining first takes its pod out
 * of the Service while it still serves.
 */
final class ScalePlanner {

  /** How long after a pod stops being Ready its address may still be in kube-proxy's rules. */
  static final Duration ENDPOINTS_SETTLE = Duration.ofSeconds(5);

  Optional<Plan> plan(ObservedCluster o, PlanBuilder b) {
    Optional<ObservedMember> learner = o.members().stream().filter(ObservedMember::learner).findFirst();
    if (learner.isPresent()) {
      ObservedMember l = learner.get();
      if (l.healthy() && o.caughtUp(l)) {
        // The executor records MemberPromoted once the promotion succeeded.
        return Optional.of(b.finish(new PromoteLearner(l.ordinal(), l.memberId())));
      }
      return Optional.of(b.finish(new Wait("learner " + l.name() + " is catching up")));
    }
    int replicas = o.desired().replicas();
    long voters = o.voterCount();
    if (voters < replicas) {
      return Optional.of(grow(o, b));
    }
    if (voters > replicas) {
      return Optional.of(shrink(o, b));
    }
    return cleanUp(o, b);
  }

  private Plan grow(ObservedCluster o, PlanBuilder b) {
    Optional<String> notReady = UpgradePlanner.preflight(o);
    if (notReady.isPresent()) {
      b.blocked("ScaleWaits", "adding a member waits: " + notReady.get());
      return b.finish(new Wait(notReady.get()));
    }
    int slot = 0;
    while (o.ordinal(slot).map(ObservedMember::inMemberList).orElse(false)) {
      slot++;
    }
    Optional<ObservedMember> leftover = o.ordinal(slot).filter(m -> m.pod() != PodState.ABSENT || m.pvc());
    if (leftover.isPresent()) {
      ObservedMember m = leftover.get();
      if (m.pod() == PodState.ABSENT && !o.desired().deletePvcOnScaleDown()) {
        String message = "volume " + m.name() + " holds data of a removed member and spec.storage.retention.whenScaled is Retain: "
            + "delete the PersistentVolumeClaim " + m.name() + " to scale up";
        b.blocked("ScaleRefused", message);
        b.event(Notice.warning("ScaleRefused", message));
        return b.finish(new Wait(message));
      }
      return b.finish(new DeleteMemberResources(m.ordinal(), true));
    }
    b.event(Notice.normal("MemberAdding", "adding " + o.name() + "-" + slot + " as a learner"));
    return b.finish(new AddLearner(slot));
  }

  private Plan shrink(ObservedCluster o, PlanBuilder b) {
    ObservedMember victim = o.voters().max(Comparator.comparingInt(ObservedMember::ordinal)).orElseThrow();
    int after = (int) o.voterCount() - 1;
    long healthyAfter = o.voters().filter(v -> v != victim && v.healthy()).count();
    if (healthyAfter < Quorum.of(after)) {
      String message = "removing " + victim.name() + " would leave " + healthyAfter + " healthy of " + after
          + " members, below the quorum of " + Quorum.of(after) + "; fix the unhealthy members first";
      b.blocked("ScaleRefused", message);
      b.degraded = Plan.Verdict.yes("ScaleRefused", message);
      return b.finish(new Wait(message));
    }
    if (victim.leader()) {
      ObservedMember successor = UpgradePlanner.mostCaughtUpFollower(o, victim);
      b.event(Notice.normal("LeadershipMoving", "moving leadership from " + victim.name() + " to " + successor.name() + " before removing it"));
      return b.finish(new MoveLeader(victim.ordinal(), successor.ordinal(), successor.memberId()));
    }
    if (victim.podReady()) {
      if (drainHolds(o, victim)) {
        return b.finish(new Wait("the readiness probe of " + victim.name() + " to fail after its drain"));
      }
      b.event(Notice.normal("MemberDraining", victim.name() + " drained: out of the client Service before it is removed"));
      return b.finish(new DrainMember(victim.ordinal(), victim.memberId()));
    }
    if (victim.podReadyChanged() != null && o.now().isBefore(victim.podReadyChanged().plus(ENDPOINTS_SETTLE))) {
      return b.finish(new Wait("clients to stop reaching " + victim.name() + " before it is removed"));
    }
    b.event(Notice.normal("MemberRemoving", "removing " + victim.name() + " from the member list"));
    return b.finish(new RemoveMember(victim.ordinal(), victim.memberId()));
  }

  /**
   * The member's last drain still keeps it unready: it was drained less than half a lease ago (so
   * it cannot lapse before the removal) and its pod has not turned Ready since (a restarted member
   * forgets its drain).
   */
  private static boolean drainHolds(ObservedCluster o, ObservedMember m) {
    return m.drainedAt() != null
        && o.now().isBefore(m.drainedAt().plus(DrainMember.LEASE.dividedBy(2)))
        && (m.podReadyChanged() == null || !m.podReadyChanged().isAfter(m.drainedAt()));
  }

  private Optional<Plan> cleanUp(ObservedCluster o, PlanBuilder b) {
    return o.members().stream()
        .filter(m -> !m.inMemberList() && m.ordinal() >= o.desired().replicas())
        .filter(m -> m.pod() != PodState.ABSENT || m.pvc() && o.desired().deletePvcOnScaleDown())
        .findFirst()
        .map(m -> b.finish(new DeleteMemberResources(m.ordinal(), o.desired().deletePvcOnScaleDown())));
  }
}
