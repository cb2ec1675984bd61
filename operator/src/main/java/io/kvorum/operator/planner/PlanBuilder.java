package io.kvorum.operator.planner;

import io.kvorum.operator.crd.KVClusterStatus.Phase;
import io.kvorum.operator.crd.UpgradeStatus;
import io.kvorum.operator.planner.Plan.Notice;
import io.kvorum.operator.planner.Plan.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Collects what the planner steps decide; {@link #finish} fills in the descriptive parts. */
final class PlanBuilder {

  private final ObservedCluster observed;
  UpgradeStatus upgrade;
  String version;
  Verdict progressing;
  Verdict degraded;
  final List<Notice> events = new ArrayList<>();

  PlanBuilder(ObservedCluster observed) {
    this.observed = observed;
    this.upgrade = observed.upgrade();
    this.version = observed.runningVersion();
  }

  PlanBuilder progressing(String reason, String message) {
    progressing = Verdict.yes(reason, message);
    return this;
  }

  PlanBuilder blocked(String reason, String message) {
    progressing = Verdict.no(reason, message);
    return this;
  }

  PlanBuilder event(Notice notice) {
    events.add(notice);
    return this;
  }

  Plan finish(Action action) {
    Verdict deg = degraded != null ? degraded : observedDegraded();
    Phase phase = phase(action, deg);
    Verdict prog = progressing != null ? progressing : defaultProgressing(phase);
    String target = upgrade != null ? upgrade.to() : observed.desired().version();
    return new Plan(action, upgrade, version, target, phase, prog, deg, List.copyOf(events));
  }

  private Verdict observedDegraded() {
    if (!observed.bootstrapped()) {
      return Verdict.no("Creating", "the cluster is being created");
    }
    if (observed.leader().isEmpty()) {
      return Verdict.yes("NoLeader", "no member reports a leader");
    }
    String unhealthy = observed.voters().filter(m -> !m.healthy()).map(ObservedMember::name).collect(Collectors.joining(", "));
    if (!unhealthy.isEmpty()) {
      return Verdict.yes("MembersUnhealthy", "unhealthy members: " + unhealthy);
    }
    if (observed.alarm()) {
      return Verdict.yes("Alarm", "a member reports an alarm (for example NOSPACE)");
    }
    return Verdict.no("Healthy", "every member is healthy");
  }

  private Phase phase(Action action, Verdict deg) {
    if (upgrade != null) {
      return switch (upgrade.step()) {
        case Stuck -> Phase.Degraded;
        case Paused -> Phase.Paused;
        default -> Phase.Upgrading;
      };
    }
    if (action instanceof Action.Bootstrap || !observed.bootstrapped() && !bootstrapComplete()) {
      return Phase.Creating;
    }
    if (deg.status()) {
      return Phase.Degraded;
    }
    boolean membershipChange = action instanceof Action.AddLearner || action instanceof Action.PromoteLearner
        || action instanceof Action.RemoveMember || action instanceof Action.DeleteMemberResources
        || observed.members().stream().anyMatch(ObservedMember::learner)
        || observed.voterCount() != observed.desired().replicas();
    return membershipChange ? Phase.Scaling : Phase.Running;
  }

  /** Every first member is a healthy voter under one leader. */
  boolean bootstrapComplete() {
    return observed.leader().isPresent() && observed.voterCount() >= observed.desired().replicas()
        && observed.allVotersHealthy();
  }

  private Verdict defaultProgressing(Phase phase) {
    return switch (phase) {
      case Creating -> Verdict.yes("Creating", "creating " + observed.desired().replicas() + " members");
      case Scaling -> Verdict.yes("Scaling", "scaling from " + observed.voterCount() + " to " + observed.desired().replicas() + " members");
      case Upgrading, Paused, Degraded -> upgrade != null
          ? Verdict.yes(UpgradePlanner.rollsCertificates(upgrade) ? "RollingCertificates" : "Upgrading",
              (UpgradePlanner.rollsCertificates(upgrade) ? "rolling certificates at " + upgrade.to()
                  : "upgrading " + upgrade.from() + " -> " + upgrade.to())
              + (upgrade.message() == null ? "" : ": " + upgrade.message()))
          : Verdict.no("Reconciled", "waiting for members to become healthy");
      case Running -> Verdict.no("Reconciled", "running " + version + " with " + observed.voterCount() + " members");
    };
  }
}
