package io.kvorum.operator.reconciler;

import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.KVClusterStatus;
import io.kvorum.operator.crd.MemberStatus;
import io.kvorum.operator.crd.UpgradeStatus;
import io.kvorum.operator.planner.ObservedCluster;
import io.kvorum.operator.planner.ObservedMember;
import io.kvorum.operator.planner.Plan;
import io.kvorum.operator.planner.Plan.Verdict;
import io.kvorum.operator.planner.Quorum;
import java.time.Instant;
import java.util.List;

/**
 * The next status from the previous one, the observation, the plan and how its action went. A
 * failed action does not advance status.upgrade: the step is planned again on the next look.
 */
public final class StatusBuilder {

  private StatusBuilder() {
  }

  public static KVClusterStatus next(KVCluster kvc, Observation obs, Plan plan, ActionExecutor.Outcome outcome, Instant now) {
    KVClusterStatus previous = kvc.getStatus() == null ? new KVClusterStatus() : kvc.getStatus();
    ObservedCluster o = obs.cluster();
    Long generation = kvc.getMetadata().getGeneration();
    KVClusterStatus s = new KVClusterStatus();
    s.setObservedGeneration(generation);
    s.setPhase(plan.phase());
    s.setVersion(plan.version());
    s.setTargetVersion(plan.targetVersion());
    UpgradeStatus upgrade = outcome.succeeded() ? plan.upgrade() : previous.getUpgrade();
    s.setUpgrade(upgrade);
    s.setLastSnapshot(outcome.snapshot() != null ? outcome.snapshot() : previous.getLastSnapshot());
    s.setLeader(o.leader().map(ObservedMember::name).orElse(null));
    s.setReady(o.healthyVoterCount() + "/" + o.desired().replicas());
    s.setMembers(members(obs));

    long voters = o.voterCount();
    boolean available = o.leader().isPresent() && voters > 0 && o.healthyVoterCount() >= Quorum.of((int) voters);
    Verdict availability = available
        ? Verdict.yes("QuorumHealthy", o.healthyVoterCount() + " of " + voters + " members healthy, leader " + s.getLeader())
        : Verdict.no(o.leader().isEmpty() ? "NoLeader" : "QuorumLost",
            o.healthyVoterCount() + " of " + voters + " members healthy" + (o.leader().isEmpty() ? ", no leader" : ""));
    Verdict progressing = outcome.succeeded() ? plan.progressing()
        : Verdict.yes("ActionFailed", outcome.failure());
    var conditions = Conditions.set(previous.getConditions(), Conditions.AVAILABLE, availability, generation, now);
    conditions = Conditions.set(conditions, Conditions.PROGRESSING, progressing, generation, now);
    conditions = Conditions.set(conditions, Conditions.DEGRADED, plan.degraded(), generation, now);
    s.setConditions(conditions);
    return s;
  }

  /** A copy to change without touching the cached original. */
  public static KVClusterStatus copy(KVClusterStatus status) {
    return COPIER.convertValue(status, KVClusterStatus.class);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper COPIER = new com.fasterxml.jackson.databind.ObjectMapper();

  private static List<MemberStatus> members(Observation obs) {
    return obs.cluster().members().stream()
        .filter(m -> m.inMemberList() || m.pod() != ObservedMember.PodState.ABSENT)
        .map(m -> new MemberStatus(m.name(), m.memberId() == null ? null : Long.toHexString(m.memberId()),
            m.pod() == ObservedMember.PodState.ABSENT ? null : m.name(), m.serverVersion(), m.healthy(), m.leader(),
            m.learner(), m.appliedIndex() < 0 ? null : m.appliedIndex()))
        .toList();
  }
}
