package io.kvorum.operator.planner;

import io.kvorum.operator.crd.UpgradeStatus;
import io.kvorum.operator.crd.UpgradeStatus.Step;
import io.kvorum.operator.planner.Action.DeletePod;
import io.kvorum.operator.planner.Action.MoveLeader;
import io.kvorum.operator.planner.Action.TakeSnapshot;
import io.kvorum.operator.planner.Action.Wait;
import io.kvorum.operator.planner.ObservedMember.PodState;
import io.kvorum.operator.planner.Plan.Notice;
import io.kvorum.operator.planner.Plan.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The rolling upgrade, after etcd's upgrade guide, in the manner of Strimzi's KafkaRoller: one
 * member at a time, never touching a member while another is unhealthy, progress persisted in
 * status.upgrade after every step.
 *
 * <pre>
 *   (no upgrade) --spec.version changed, path valid, preflight ok--> Snapshot
 *   Snapshot --verified snapshot newer than startedAt--> ReplaceMember
 *   ReplaceMember, no member in progress:
 *       pick next = the unhealthy member (at most one), else the lowest follower, else the leader
 *       next is the leader and others exist --> MoveLeader to the most caught-up follower
 *       otherwise --> DeletePod(next); member = next; memberStartedAt = now
 *   ReplaceMember, member in progress:
 *       pod absent (deleted) --> CreatePod at the target version   (ClusterPlanner's repair rule)
 *       healthy, reports the target, caught up, every voter healthy --> done += member;
 *                                                       Paused if pauseAfterEachMember
 *       older than healthTimeout since memberStartedAt --> Stuck (Degraded, Event); nothing else
 *                                                           is touched until it recovers
 *   Paused --resume annotation names the last done member, or pause turned off--> ReplaceMember
 *   every voter runs the target --> WaitClusterVersion --leader reports MAJOR.MINOR of target--> done
 * </pre>
 * Preflight (before the upgrade starts and before the snapshot): every voter healthy, a leader,
 * no alarm, and the member count as specified.
 *
 * <p><b>Certificate rolls</b> reuse this roller. When spec.version equals the running version
 * but a voter runs old TLS files (its pod's tls-revision differs from its Secrets', after a
 * renewal or a CA rotation step), a roll "from V to V" starts at ReplaceMember: no snapshot (no
 * data format changes), the same preflight, the same order (unhealthy first, followers, the
 * leader last after MoveLeader), the same wait for health and catch-up after each member, the
 * same timeout and pause. A member counts as done when it runs the target version with the
 * current files. A version change during a certificate roll waits for the roll to finish; an
 * upgrade rolls certificates along (every recreated pod gets the current files). A change of spec.version back to the upgrade's
 * "from" while members still run both versions reverses the upgrade: the cluster version is
 * still the old one, so the replaced members can go back.
 */
final class UpgradePlanner {

  Optional<Plan> plan(ObservedCluster o, PlanBuilder b) {
    UpgradeStatus up = o.upgrade();
    if (up == null) {
      return start(o, b);
    }
    String wanted = o.desired().version();
    if (!wanted.equals(up.to()) && rollsCertificates(up)) {
      b.event(Notice.normal("UpgradeDeferred", "the upgrade to " + wanted + " starts after the certificate roll"));
    } else if (!wanted.equals(up.to())) {
      if (wanted.equals(up.from()) && up.step() != Step.WaitClusterVersion) {
        up = reverse(o, up);
        b.event(Notice.warning("UpgradeReversed", "spec.version set back to " + up.to() + ": rolling back the members already on " + up.from()));
      } else {
        b.upgrade = up;
        b.blocked("UpgradeBlocked", "spec.version changed to " + wanted + " while upgrading " + up.from() + " -> " + up.to()
            + "; set it to " + up.to() + " to continue or to " + up.from() + " to roll back");
        return Optional.of(b.finish(new Wait("conflicting spec.version during an upgrade")));
      }
    }
    b.upgrade = up;
    if (o.voterCount() != o.desired().replicas()) {
      b.event(Notice.warning("ScaleDeferred", "spec.replicas changes to " + o.desired().replicas()
          + " after the upgrade to " + up.to() + " completes"));
    }
    return Optional.of(step(o, b, up));
  }

  private Optional<Plan> start(ObservedCluster o, PlanBuilder b) {
    String running = o.runningVersion();
    String wanted = o.desired().version();
    if (wanted.equals(running)) {
      return startCertificateRoll(o, b, running);
    }
    Optional<String> refusal = VersionPath.refusal(running, wanted);
    if (refusal.isPresent()) {
      b.blocked("UpgradeRefused", refusal.get());
      b.event(Notice.warning("UpgradeRefused", refusal.get()));
      return Optional.of(b.finish(new Wait("version change refused: " + refusal.get())));
    }
    if (o.voterCount() != o.desired().replicas() || o.members().stream().anyMatch(ObservedMember::learner)) {
      return Optional.empty(); // scale first, at the running version; the upgrade starts after
    }
    Optional<String> notReady = preflight(o);
    if (notReady.isPresent()) {
      b.blocked("PreflightFailed", "upgrade to " + wanted + " waits: " + notReady.get());
      return Optional.of(b.finish(new Wait(notReady.get())));
    }
    UpgradeStatus up = new UpgradeStatus(running, wanted, Step.Snapshot, null, null, List.of(), o.now().toString(),
        "taking a snapshot from the leader");
    b.upgrade = up;
    b.event(Notice.normal("UpgradeStarted", "upgrading " + running + " -> " + wanted + ": snapshot first"));
    return Optional.of(b.finish(new TakeSnapshot(o.leader().orElseThrow().ordinal())));
  }

  /** A roll "from V to V" of the members whose pods run old TLS files. */
  private Optional<Plan> startCertificateRoll(ObservedCluster o, PlanBuilder b, String running) {
    List<String> stale = o.voters().filter(v -> !v.certificatesCurrent()).map(ObservedMember::name).toList();
    if (stale.isEmpty() || o.voterCount() != o.desired().replicas() || o.members().stream().anyMatch(ObservedMember::learner)) {
      return Optional.empty();
    }
    Optional<String> notReady = preflight(o);
    if (notReady.isPresent()) {
      b.blocked("PreflightFailed", "certificate roll waits: " + notReady.get());
      return Optional.of(b.finish(new Wait(notReady.get())));
    }
    UpgradeStatus up = new UpgradeStatus(running, running, Step.ReplaceMember, null, null, List.of(), o.now().toString(),
        "rolling new certificates to " + stale);
    b.event(Notice.normal("CertificateRollStarted", "new TLS certificates for " + String.join(", ", stale)
        + ": replacing members one at a time"));
    return Optional.of(next(o, b, up));
  }

  /** A roll to the same version: only TLS files change. */
  static boolean rollsCertificates(UpgradeStatus up) {
    return up.from().equals(up.to());
  }

  /** Every voter healthy, a leader, no alarm: the state in which a member may be taken down. */
  static Optional<String> preflight(ObservedCluster o) {
    if (o.leader().isEmpty()) {
      return Optional.of("no leader");
    }
    String unhealthy = o.voters().filter(m -> !m.healthy()).map(ObservedMember::name).collect(Collectors.joining(", "));
    if (!unhealthy.isEmpty()) {
      return Optional.of("members not healthy: " + unhealthy);
    }
    if (o.alarm()) {
      return Optional.of("a member reports an alarm");
    }
    return Optional.empty();
  }

  private Plan step(ObservedCluster o, PlanBuilder b, UpgradeStatus up) {
    return switch (up.step()) {
      case Snapshot -> snapshot(o, b, up);
      case Paused -> paused(o, b, up);
      case ReplaceMember, Stuck -> up.member() != null ? awaitMember(o, b, up) : next(o, b, up);
      case WaitClusterVersion -> awaitClusterVersion(o, b, up);
    };
  }

  private Plan snapshot(ObservedCluster o, PlanBuilder b, UpgradeStatus up) {
    var snap = o.lastSnapshot();
    if (snap != null && snap.time() != null && !Instant.parse(snap.time()).isBefore(Instant.parse(up.startedAt()))) {
      return next(o, b, up.withStep(Step.ReplaceMember, "snapshot " + snap.name() + " verified"));
    }
    Optional<String> notReady = preflight(o);
    if (notReady.isPresent()) {
      b.upgrade = up.withStep(Step.Snapshot, "snapshot waits: " + notReady.get());
      return b.finish(new Wait(notReady.get()));
    }
    return b.finish(new TakeSnapshot(o.leader().orElseThrow().ordinal()));
  }

  private Plan paused(ObservedCluster o, PlanBuilder b, UpgradeStatus up) {
    String last = up.doneMembers().isEmpty() ? null : up.doneMembers().getLast();
    if (!o.desired().pauseAfterEachMember() || last != null && last.equals(o.desired().resumeAfter())) {
      b.event(Notice.normal("UpgradeResumed", "resuming the upgrade to " + up.to() + " after " + last));
      return next(o, b, up.withStep(Step.ReplaceMember, "resumed after " + last));
    }
    b.upgrade = up;
    return b.finish(new Wait("paused after " + last + "; annotate kvorum.io/resume-upgrade=" + last + " to continue"));
  }

  private Plan awaitMember(ObservedCluster o, PlanBuilder b, UpgradeStatus up) {
    Optional<ObservedMember> inProgress = o.member(up.member());
    if (inProgress.isEmpty()) {
      b.upgrade = up;
      return b.finish(new Wait("member " + up.member() + " in progress is neither a pod nor in the member list"));
    }
    ObservedMember m = inProgress.get();
    List<String> missing = new ArrayList<>();
    if (m.pod() != PodState.RUNNING) missing.add("pod " + m.pod().name().toLowerCase());
    if (!m.healthy()) missing.add("not healthy");
    if (!up.to().equals(m.serverVersion())) missing.add("reports version " + m.serverVersion());
    if (!m.certificatesCurrent()) missing.add("runs old certificates");
    if (!o.caughtUp(m)) missing.add("not caught up with the leader");
    String othersUnhealthy = o.voters().filter(v -> v != m && !v.healthy()).map(ObservedMember::name).collect(Collectors.joining(", "));
    if (!othersUnhealthy.isEmpty()) missing.add("unhealthy: " + othersUnhealthy);

    if (missing.isEmpty()) {
      b.event(Notice.normal("MemberReplaced", m.name() + " runs " + up.to() + ", healthy and caught up"));
      boolean more = o.voters().anyMatch(v -> v != m && !up.doneMembers().contains(v.name()) && !v.current(up.to()));
      if (o.desired().pauseAfterEachMember() && more) {
        b.upgrade = up.memberDone(Step.Paused, "paused after " + m.name());
        b.event(Notice.normal("UpgradePaused", "paused after " + m.name() + "; annotate kvorum.io/resume-upgrade=" + m.name() + " to continue"));
        return b.finish(new Wait("paused after " + m.name()));
      }
      return next(o, b, up.memberDone(Step.ReplaceMember, m.name() + " done"));
    }
    String why = m.name() + ": " + String.join(", ", missing);
    Duration waited = Duration.between(Instant.parse(up.memberStartedAt()), o.now());
    if (waited.compareTo(o.desired().healthTimeout()) > 0) {
      String message = why + " after " + waited.toSeconds() + "s (timeout " + o.desired().healthTimeout().toSeconds() + "s)";
      if (up.step() != Step.Stuck) {
        b.event(Notice.warning("UpgradeStuck", "upgrade to " + up.to() + " stopped: " + message + "; no other member is touched"));
      }
      b.upgrade = up.withStep(Step.Stuck, message);
      b.degraded = Verdict.yes("UpgradeStuck", message);
      return b.finish(new Wait(message));
    }
    b.upgrade = up.withStep(Step.ReplaceMember, "waiting for " + why);
    return b.finish(new Wait("waiting for " + why));
  }

  private Plan next(ObservedCluster o, PlanBuilder b, UpgradeStatus up) {
    List<ObservedMember> remaining = o.voters()
        .filter(v -> !up.doneMembers().contains(v.name()) && !v.current(up.to())).toList();
    if (remaining.isEmpty()) {
      return awaitClusterVersion(o, b, up.withStep(Step.WaitClusterVersion, "every member runs " + up.to()));
    }
    List<ObservedMember> unhealthy = o.voters().filter(v -> !v.healthy()).toList();
    if (unhealthy.size() > 1 || unhealthy.size() == 1 && !remaining.contains(unhealthy.getFirst())) {
      String names = unhealthy.stream().map(ObservedMember::name).collect(Collectors.joining(", "));
      b.upgrade = up.withStep(Step.ReplaceMember, "waiting for a healthy cluster (" + names + ")");
      return b.finish(new Wait("cluster not healthy (" + names + "): no member is touched"));
    }
    ObservedMember leader = o.leader().orElseThrow();
    ObservedMember chosen = unhealthy.isEmpty()
        ? remaining.stream().filter(v -> !v.leader()).findFirst().orElse(leader)
        : unhealthy.getFirst();
    if (chosen.leader() && o.voterCount() > 1) {
      ObservedMember successor = mostCaughtUpFollower(o, leader);
      b.upgrade = up.withStep(Step.ReplaceMember, "moving leadership from " + leader.name() + " to " + successor.name());
      return b.finish(new MoveLeader(leader.ordinal(), successor.ordinal(), successor.memberId()));
    }
    b.upgrade = up.replacing(chosen.name(), o.now().toString());
    return b.finish(new DeletePod(chosen.ordinal(), "upgrade to " + up.to()));
  }

  /** Highest applied index wins; ties go to the lowest ordinal (deterministic). */
  static ObservedMember mostCaughtUpFollower(ObservedCluster o, ObservedMember leader) {
    return o.voters().filter(v -> v != leader && v.healthy())
        .max(Comparator.comparingLong(ObservedMember::appliedIndex).thenComparing(v -> -v.ordinal()))
        .orElseThrow(() -> new IllegalStateException("no healthy follower to take leadership"));
  }

  private Plan awaitClusterVersion(ObservedCluster o, PlanBuilder b, UpgradeStatus up) {
    Semver target = Semver.parse(up.to());
    if (rollsCertificates(up)) {
      b.upgrade = null;
      b.event(Notice.normal("CertificatesRolled", "every member runs the current TLS certificates"));
      b.blocked("CertificatesRolled", "new certificates rolled to every member");
      return b.finish(new Wait("certificate roll completed"));
    }
    if (o.clusterVersion() != null && Semver.isValid(o.clusterVersion()) && Semver.parse(o.clusterVersion()).sameMinor(target)) {
      b.upgrade = null;
      b.version = up.to();
      b.event(Notice.normal("UpgradeCompleted", "every member runs " + up.to() + " and the cluster version is " + o.clusterVersion()));
      b.blocked("UpgradeCompleted", "upgraded " + up.from() + " -> " + up.to());
      return b.finish(new Wait("upgrade completed"));
    }
    b.upgrade = up.withStep(Step.WaitClusterVersion, "waiting for the cluster version " + target.majorMinor()
        + " (members report " + o.clusterVersion() + ")");
    return b.finish(new Wait("waiting for the cluster version to reach " + target.majorMinor()));
  }

  /**
   * Turns "from → to" around while mixed: the members already replaced become the ones to
   * replace, the untouched ones count as done.
   */
  private static UpgradeStatus reverse(ObservedCluster o, UpgradeStatus up) {
    List<String> alreadyThere = o.voters().filter(v -> v.runs(up.from())).map(ObservedMember::name).toList();
    return new UpgradeStatus(up.to(), up.from(), Step.ReplaceMember, null, null, alreadyThere, up.startedAt(),
        "rolling back to " + up.from());
  }
}
