package io.kvorum.operator.planner;

import io.kvorum.operator.planner.Action.Bootstrap;
import io.kvorum.operator.planner.Action.CreatePod;
import io.kvorum.operator.planner.Action.DeletePod;
import io.kvorum.operator.planner.Action.RemoveMember;
import io.kvorum.operator.planner.Action.Wait;
import io.kvorum.operator.planner.ObservedMember.PodState;
import io.kvorum.operator.planner.Plan.Notice;
import java.util.List;
import java.util.Optional;

/**
 * Decides the one next action for a cluster from what was observed. Pure: no clock (the time is
 * in the observation), no I/O, no randomness; the same observation always gives the same plan.
 *
 * <p>The rules, first match wins:
 * <ol>
 *   <li><b>Create.</b> Until the first members were all healthy under one leader, create the
 *       missing slots {@code 0..replicas-1} with {@code --initial-cluster-state new}, then wait.</li>
 *   <li><b>Repair.</b> A slot in the member list without a pod gets its pod back (on the same
 *       volume, {@code existing}), at the version that slot should run: the upgrade's target if
 *       it was already replaced or is being replaced, the running version otherwise. A slot in
 *       the member list whose volume is gone is removed from the member list (a member must never
 *       restart with an empty log under its old id) and comes back through scale-up. A pod being
 *       deleted is waited for; a failed (evicted) pod is deleted so it can come back.</li>
 *   <li><b>Leader.</b> Without a leader nothing else may change: wait.</li>
 *   <li><b>Upgrade</b> ({@link UpgradePlanner}): continue the upgrade in status.upgrade, or start
 *       one when spec.version differs from the running version and the path is valid.</li>
 *   <li><b>Scale</b> ({@link ScalePlanner}): promote a caught-up learner, add one learner,
 *       or remove one member; then clean up volumes and pods of slots that left.</li>
 *   <li>Otherwise the cluster is as wanted: wait.</li>
 * </ol>
 * An upgrade and a scale never run together: a replica change waits for the upgrade to finish,
 * and a version change waits for the member count to match (scaling is done at the running
 * version first, so new members never need an upgrade of their own).
 *
 * <p>Example: three healthy members at 1.0.0, leader {@code demo-1}, spec.version bumped to
 * 1.1.0. Successive reconciles plan: TakeSnapshot(1) · DeletePod(0) · CreatePod(0, 1.1.0) ·
 * wait until demo-0 is healthy, reports 1.1.0 and caught up · DeletePod(2) · CreatePod(2) ·
 * wait · MoveLeader(1 → most caught-up of 0, 2) · DeletePod(1) · CreatePod(1) · wait · wait for
 * the cluster version 1.1 · done (status.version 1.1.0).
 */
public final class ClusterPlanner {

  private final UpgradePlanner upgrades = new UpgradePlanner();
  private final ScalePlanner scaling = new ScalePlanner();

  public Plan plan(ObservedCluster o) {
    PlanBuilder b = new PlanBuilder(o);
    if (!o.bootstrapped()) {
      Optional<Plan> creating = create(o, b);
      if (creating.isPresent()) {
        return creating.get();
      }
    }
    Optional<Plan> repair = repair(o, b);
    if (repair.isPresent()) {
      return repair.get();
    }
    if (o.leader().isEmpty()) {
      return b.finish(new Wait("no member reports a leader; waiting before any change"));
    }
    Optional<Plan> upgrade = upgrades.plan(o, b);
    if (upgrade.isPresent()) {
      return upgrade.get();
    }
    return scaling.plan(o, b).orElseGet(() -> b.finish(new Wait("the cluster is as specified")));
  }

  private Optional<Plan> create(ObservedCluster o, PlanBuilder b) {
    int size = o.desired().replicas();
    List<Integer> missing = o.members().stream()
        .filter(m -> m.ordinal() < size && m.pod() == PodState.ABSENT)
        .map(ObservedMember::ordinal).toList();
    if (!missing.isEmpty()) {
      b.event(Notice.normal("CreatingMembers", "creating members " + missing + " of " + size + " at " + o.desired().version()));
      return Optional.of(b.finish(new Bootstrap(missing, size, o.desired().version())));
    }
    if (b.bootstrapComplete()) {
      b.event(Notice.normal("ClusterCreated", size + " members healthy, leader " + o.leader().orElseThrow().name()));
      return Optional.empty();
    }
    return Optional.of(b.finish(new Wait("waiting for the first members to elect a leader and become healthy")));
  }

  private Optional<Plan> repair(ObservedCluster o, PlanBuilder b) {
    for (ObservedMember m : o.members()) {
      if (m.pod() == PodState.TERMINATING) {
        return Optional.of(b.finish(new Wait("waiting for pod " + m.name() + " to terminate")));
      }
      if (m.pod() == PodState.FAILED) {
        return Optional.of(b.finish(new DeletePod(m.ordinal(), "pod failed (evicted or exited)")));
      }
      if (m.inMemberList() && m.pod() == PodState.ABSENT) {
        if (!m.pvc() && m.voter()) {
          return Optional.of(removeLostMember(o, b, m));
        }
        return Optional.of(b.finish(new CreatePod(m.ordinal(), versionFor(o, m))));
      }
    }
    return Optional.empty();
  }

  /** A member whose volume vanished: remove it while the others keep quorum; scale-up re-adds it fresh. */
  private Plan removeLostMember(ObservedCluster o, PlanBuilder b, ObservedMember m) {
    if (o.leader().isEmpty() || o.healthyVoterCount() < Quorum.of((int) o.voterCount() - 1)) {
      b.degraded = Plan.Verdict.yes("VolumeLost", "the volume of " + m.name() + " is gone and the others have no quorum to remove it");
      return b.finish(new Wait("cannot remove " + m.name() + " without quorum"));
    }
    b.event(Notice.warning("VolumeLost", "the volume of " + m.name() + " is gone: removing the member; it is re-added empty"));
    return b.finish(new RemoveMember(m.ordinal(), m.memberId()));
  }

  /** The version a slot's pod must run: the upgrade target once the slot's turn came. */
  static String versionFor(ObservedCluster o, ObservedMember m) {
    var up = o.upgrade();
    if (up == null) {
      return o.bootstrapped() ? o.runningVersion() : o.desired().version();
    }
    boolean turnCame = m.name().equals(up.member()) || up.doneMembers().contains(m.name());
    return turnCame ? up.to() : up.from();
  }
}
