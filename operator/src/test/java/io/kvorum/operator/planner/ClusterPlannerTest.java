package io.kvorum.operator.planner;

import static io.kvorum.operator.planner.Fixture.T0;
import static io.kvorum.operator.planner.Fixture.V1;
import static io.kvorum.operator.planner.Fixture.V2;
import static io.kvorum.operator.planner.Fixture.cluster;
import static io.kvorum.operator.planner.Fixture.fresh;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.operator.crd.KVClusterStatus.Phase;
import io.kvorum.operator.crd.UpgradeStatus.Step;
import io.kvorum.operator.planner.Action.AddLearner;
import io.kvorum.operator.planner.Action.Bootstrap;
import io.kvorum.operator.planner.Action.CreatePod;
import io.kvorum.operator.planner.Action.DeleteMemberResources;
import io.kvorum.operator.planner.Action.DeletePod;
import io.kvorum.operator.planner.Action.DrainMember;
import io.kvorum.operator.planner.Action.MoveLeader;
import io.kvorum.operator.planner.Action.PromoteLearner;
import io.kvorum.operator.planner.Action.RemoveMember;
import io.kvorum.operator.planner.Action.TakeSnapshot;
import io.kvorum.operator.planner.Action.Wait;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The planner as tables: observed state -> the one expected next action, plus what the plan
 * records (upgrade step, phase, conditions, events). One row per branch of the algorithm.
 */
class ClusterPlannerTest {

  private final ClusterPlanner planner = new ClusterPlanner();

  /** The expected action exactly, or for a Wait a fragment of its reason. */
  record Expect(Action action, String waitFor) {
    static Expect does(Action action) { return new Expect(action, null); }
    static Expect waits(String fragment) { return new Expect(null, fragment); }
  }

  static Arguments row(String name, Fixture observed, Expect expected, Consumer<Plan> also) {
    return Arguments.of(name, observed, expected, also);
  }

  static Arguments row(String name, Fixture observed, Expect expected) {
    return row(name, observed, expected, plan -> { });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource({"creation", "repair", "upgradeStart", "upgradeSteps", "scaling", "certificateRolls"})
  void plansTheNextAction(String name, Fixture observed, Expect expected, Consumer<Plan> also) {
    Plan plan = planner.plan(observed.build());
    if (expected.action() != null) {
      assertThat(plan.action()).as(name).isEqualTo(expected.action());
    } else {
      assertThat(plan.action()).as(name).isInstanceOf(Wait.class);
      assertThat(((Wait) plan.action()).reason()).as(name).contains(expected.waitFor());
    }
    also.accept(plan);
  }

  static Stream<Arguments> creation() {
    return Stream.of(
        row("fresh cluster: every member created with state new", fresh(3),
            Expect.does(new Bootstrap(List.of(0, 1, 2), 3, V1)),
            p -> assertThat(p.phase()).isEqualTo(Phase.Creating)),
        row("fresh cluster with one pod missing: only it is created", fresh(3).member(0, m -> m.pending()).member(2, m -> m.pending()),
            Expect.does(new Bootstrap(List.of(1), 3, V1))),
        row("fresh cluster, pods running, no leader yet: wait", fresh(3).all(m -> m.pending()),
            Expect.waits("elect a leader"),
            p -> assertThat(p.progressing().reason()).isEqualTo("Creating")),
        row("fresh cluster becomes healthy: created, Running", cluster(3).phase(Phase.Creating),
            Expect.waits("as specified"),
            p -> {
              assertThat(p.phase()).isEqualTo(Phase.Running);
              assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("ClusterCreated");
            }),
        row("steady state: nothing to do", cluster(3),
            Expect.waits("as specified"),
            p -> {
              assertThat(p.phase()).isEqualTo(Phase.Running);
              assertThat(p.progressing().status()).isFalse();
              assertThat(p.degraded().status()).isFalse();
              assertThat(p.events()).isEmpty();
            }));
  }

  static Stream<Arguments> repair() {
    return Stream.of(
        row("member pod lost: recreated at the running version", cluster(3).member(2, m -> m.noPod()),
            Expect.does(new CreatePod(2, V1)),
            p -> assertThat(p.degraded().reason()).isEqualTo("MembersUnhealthy")),
        row("pod of the member being upgraded deleted: recreated at the target", cluster(3)
                .upgrading(Step.ReplaceMember, "demo-0", T0).member(0, m -> m.noPod()),
            Expect.does(new CreatePod(0, V2))),
        row("pod of a member not yet upgraded crashed: recreated at the old version", cluster(3)
                .upgrading(Step.ReplaceMember, null, null, "demo-0").member(0, m -> m.runs(V2)).member(2, m -> m.noPod()),
            Expect.does(new CreatePod(2, V1))),
        row("pod terminating: wait for it to go", cluster(3).member(0, m -> m.terminating()),
            Expect.waits("terminate")),
        row("failed (evicted) pod: deleted so it can come back", cluster(3).member(2, m -> m.failed()),
            Expect.does(new DeletePod(2, "pod failed (evicted or exited)"))),
        row("member whose volume is gone: removed from the member list", cluster(3).member(2, m -> m.noPod().noPvc()),
            Expect.does(new RemoveMember(2, 3))),
        row("no leader: nothing changes", cluster(3).leader(-1).version(V2),
            Expect.waits("no member reports a leader"),
            p -> assertThat(p.degraded().reason()).isEqualTo("NoLeader")));
  }

  static Stream<Arguments> upgradeStart() {
    return Stream.of(
        row("version bumped one minor: snapshot first", cluster(3).version(V2),
            Expect.does(new TakeSnapshot(1)),
            p -> {
              assertThat(p.upgrade().step()).isEqualTo(Step.Snapshot);
              assertThat(p.upgrade().from()).isEqualTo(V1);
              assertThat(p.upgrade().to()).isEqualTo(V2);
              assertThat(p.version()).isEqualTo(V1);
              assertThat(p.targetVersion()).isEqualTo(V2);
              assertThat(p.phase()).isEqualTo(Phase.Upgrading);
              assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("UpgradeStarted");
            }),
        row("patch bump: allowed", cluster(3).version("1.0.1"), Expect.does(new TakeSnapshot(1))),
        row("skipping a minor: refused, untouched", cluster(3).version("1.2.0"),
            Expect.waits("refused"), refused("skip minor", V1)),
        row("major change: refused", cluster(3).version("2.0.0"),
            Expect.waits("refused"), refused("major", V1)),
        row("downgrade after completion: refused", cluster(3).running(V2).version(V1),
            Expect.waits("refused"), refused("downgrade", V2)),
        row("preflight: an unhealthy member blocks the start", cluster(3).version(V2).member(2, m -> m.unhealthy()),
            Expect.waits("demo-2"),
            p -> {
              assertThat(p.upgrade()).isNull();
              assertThat(p.progressing().reason()).isEqualTo("PreflightFailed");
            }),
        row("preflight: an alarm blocks the start", cluster(3).version(V2).member(0, m -> m.alarm()),
            Expect.waits("alarm"), p -> assertThat(p.upgrade()).isNull()),
        row("version and replicas changed together: scale first at the old version", cluster(3).version(V2).replicas(5),
            Expect.does(new AddLearner(3)), p -> assertThat(p.upgrade()).isNull()));
  }

  static Consumer<Plan> refused(String fragment, String unchangedVersion) {
    return p -> {
      assertThat(p.upgrade()).isNull();
      assertThat(p.progressing().status()).isFalse();
      assertThat(p.progressing().reason()).isEqualTo("UpgradeRefused");
      assertThat(p.progressing().message()).contains(fragment);
      assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("UpgradeRefused");
      assertThat(p.version()).isEqualTo(unchangedVersion);
    };
  }

  static Stream<Arguments> upgradeSteps() {
    return Stream.of(
        row("snapshot older than the upgrade: take one", cluster(3).upgrading(Step.Snapshot, null, null).snapshotAt(T0.minusSeconds(1)),
            Expect.does(new TakeSnapshot(1))),
        row("snapshot taken but the cluster turned unhealthy: wait", cluster(3).upgrading(Step.Snapshot, null, null)
                .member(0, m -> m.unhealthy()),
            Expect.waits("demo-0"), p -> assertThat(p.upgrade().step()).isEqualTo(Step.Snapshot)),
        row("snapshot verified: first follower replaced", cluster(3).upgrading(Step.Snapshot, null, null).snapshotAt(T0.plusSeconds(5)),
            Expect.does(new DeletePod(0, "upgrade to " + V2)),
            p -> {
              assertThat(p.upgrade().step()).isEqualTo(Step.ReplaceMember);
              assertThat(p.upgrade().member()).isEqualTo("demo-0");
              assertThat(p.upgrade().memberStartedAt()).isEqualTo(T0.plusSeconds(600).toString());
            }),
        row("replaced member healthy, new version, caught up: next follower", cluster(3)
                .upgrading(Step.ReplaceMember, "demo-0", T0).member(0, m -> m.runs(V2).applied(990)),
            Expect.does(new DeletePod(2, "upgrade to " + V2)),
            p -> {
              assertThat(p.upgrade().doneMembers()).containsExactly("demo-0");
              assertThat(p.upgrade().member()).isEqualTo("demo-2");
              assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("MemberReplaced");
            }),
        row("replaced member not caught up: wait", cluster(3)
                .upgrading(Step.ReplaceMember, "demo-0", T0.plusSeconds(500)).member(0, m -> m.runs(V2).applied(-1)),
            Expect.waits("not caught up")),
        row("replaced member still reports the old version: wait", cluster(3)
                .upgrading(Step.ReplaceMember, "demo-0", T0.plusSeconds(500)).member(0, m -> m.runs(V1)),
            Expect.waits("reports version 1.0.0")),
        row("replaced member healthy but another member is not: wait", cluster(3)
                .upgrading(Step.ReplaceMember, "demo-0", T0.plusSeconds(500)).member(0, m -> m.runs(V2))
                .member(2, m -> m.unhealthy()),
            Expect.waits("unhealthy: demo-2")),
        row("replaced member not healthy past the timeout: stuck, Degraded, nothing else touched", cluster(3)
                .upgrading(Step.ReplaceMember, "demo-0", T0).member(0, m -> m.pending().podVersion(V2)),
            Expect.waits("timeout 300s"),
            p -> {
              assertThat(p.upgrade().step()).isEqualTo(Step.Stuck);
              assertThat(p.degraded().status()).isTrue();
              assertThat(p.degraded().reason()).isEqualTo("UpgradeStuck");
              assertThat(p.phase()).isEqualTo(Phase.Degraded);
              assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("UpgradeStuck");
            }),
        row("stuck, still not healthy: no second event", cluster(3)
                .upgrading(Step.Stuck, "demo-0", T0).member(0, m -> m.pending()),
            Expect.waits("timeout"), p -> assertThat(p.events()).isEmpty()),
        row("stuck member recovers: the upgrade continues", cluster(3)
                .upgrading(Step.Stuck, "demo-0", T0).member(0, m -> m.runs(V2)),
            Expect.does(new DeletePod(2, "upgrade to " + V2)),
            p -> assertThat(p.degraded().status()).isFalse()),
        row("operator restarted between members: resumes with the next one, not a done one", cluster(3)
                .upgrading(Step.ReplaceMember, null, null, "demo-0").member(0, m -> m.runs(V2)),
            Expect.does(new DeletePod(2, "upgrade to " + V2))),
        row("unhealthy member goes first", cluster(3).upgrading(Step.ReplaceMember, null, null).member(2, m -> m.unhealthy()),
            Expect.does(new DeletePod(2, "upgrade to " + V2))),
        row("two unhealthy members: nothing is touched", cluster(5).upgrading(Step.ReplaceMember, null, null)
                .member(2, m -> m.unhealthy()).member(3, m -> m.unhealthy()),
            Expect.waits("not healthy")),
        row("an upgraded member turned unhealthy: nothing is touched", cluster(3)
                .upgrading(Step.ReplaceMember, null, null, "demo-0").member(0, m -> m.runs(V2).unhealthy()),
            Expect.waits("demo-0")),
        row("only the leader is left: move leadership to the most caught-up follower", cluster(3)
                .upgrading(Step.ReplaceMember, null, null, "demo-0", "demo-2")
                .member(0, m -> m.runs(V2).applied(998)).member(2, m -> m.runs(V2).applied(999)),
            Expect.does(new MoveLeader(1, 2, 3))),
        row("leadership moved: the old leader is replaced last", cluster(3).leader(2)
                .upgrading(Step.ReplaceMember, null, null, "demo-0", "demo-2").member(0, m -> m.runs(V2)).member(2, m -> m.runs(V2)),
            Expect.does(new DeletePod(1, "upgrade to " + V2))),
        row("single member: replaced without a leadership move", cluster(1).upgrading(Step.ReplaceMember, null, null),
            Expect.does(new DeletePod(0, "upgrade to " + V2))),
        row("pause after each member: paused", cluster(3).pause()
                .upgrading(Step.ReplaceMember, "demo-0", T0).member(0, m -> m.runs(V2)),
            Expect.waits("paused after demo-0"),
            p -> {
              assertThat(p.upgrade().step()).isEqualTo(Step.Paused);
              assertThat(p.phase()).isEqualTo(Phase.Paused);
            }),
        row("paused without a resume: wait", cluster(3).pause()
                .upgrading(Step.Paused, null, null, "demo-0").member(0, m -> m.runs(V2)),
            Expect.waits("kvorum.io/resume-upgrade=demo-0")),
        row("paused, resume annotation names the member: continue", cluster(3).pause().resume("demo-0")
                .upgrading(Step.Paused, null, null, "demo-0").member(0, m -> m.runs(V2)),
            Expect.does(new DeletePod(2, "upgrade to " + V2))),
        row("paused, pause turned off: continue", cluster(3)
                .upgrading(Step.Paused, null, null, "demo-0").member(0, m -> m.runs(V2)),
            Expect.does(new DeletePod(2, "upgrade to " + V2))),
        row("every member replaced, cluster version still old: wait", cluster(3)
                .upgrading(Step.ReplaceMember, "demo-1", T0, "demo-0", "demo-2").all(m -> m.runs(V2)),
            Expect.waits("cluster version"),
            p -> {
              assertThat(p.upgrade().step()).isEqualTo(Step.WaitClusterVersion);
              assertThat(p.version()).isEqualTo(V1);
            }),
        row("cluster version reached: done", cluster(3).clusterVersion("1.1.0")
                .upgrading(Step.WaitClusterVersion, null, null, "demo-0", "demo-2", "demo-1").all(m -> m.runs(V2)),
            Expect.waits("completed"),
            p -> {
              assertThat(p.upgrade()).isNull();
              assertThat(p.version()).isEqualTo(V2);
              assertThat(p.phase()).isEqualTo(Phase.Running);
              assertThat(p.progressing().status()).isFalse();
              assertThat(p.progressing().reason()).isEqualTo("UpgradeCompleted");
              assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("UpgradeCompleted");
            }),
        row("spec.version set back while mixed: the upgrade reverses", cluster(3).version(V1)
                .upgrading(Step.ReplaceMember, null, null, "demo-0").version(V1).member(0, m -> m.runs(V2)),
            Expect.does(new DeletePod(0, "upgrade to " + V1)),
            p -> {
              assertThat(p.upgrade().from()).isEqualTo(V2);
              assertThat(p.upgrade().to()).isEqualTo(V1);
              assertThat(p.upgrade().doneMembers()).containsExactly("demo-1", "demo-2");
            }),
        row("spec.version changed to a third version mid-upgrade: blocked", cluster(3)
                .upgrading(Step.ReplaceMember, null, null, "demo-0").version("1.2.0").member(0, m -> m.runs(V2)),
            Expect.waits("conflicting"),
            p -> assertThat(p.progressing().reason()).isEqualTo("UpgradeBlocked")),
        row("replicas changed during an upgrade: the upgrade goes on, scaling deferred", cluster(3).replicas(5)
                .upgrading(Step.ReplaceMember, null, null),
            Expect.does(new DeletePod(0, "upgrade to " + V2)),
            p -> assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("ScaleDeferred")));
  }

  static Stream<Arguments> scaling() {
    return Stream.of(
        row("scale up: add a learner in the lowest free slot", cluster(3).replicas(5),
            Expect.does(new AddLearner(3)), p -> assertThat(p.phase()).isEqualTo(Phase.Scaling)),
        row("scale up refused while a member is unhealthy", cluster(3).replicas(5).member(0, m -> m.unhealthy()),
            Expect.waits("demo-0")),
        row("learner added, no pod yet: pod created with state existing", cluster(3).replicas(5)
                .member(3, m -> m.noPod().learner()),
            Expect.does(new CreatePod(3, V1))),
        row("learner catching up: wait", cluster(3).replicas(5).member(3, m -> m.learner().applied(10))
                .member(1, m -> m.applied(5000)),
            Expect.waits("catching up")),
        row("learner caught up: promoted", cluster(3).replicas(5).member(3, m -> m.learner().applied(999)),
            Expect.does(new PromoteLearner(3, 4)),
            // MemberPromoted comes from the executor once it succeeded, not twice
            p -> assertThat(p.events()).extracting(Plan.Notice::reason).doesNotContain("MemberPromoted")),
        row("scale down: highest member drained first, so its pod leaves the client Service", cluster(5).replicas(3),
            Expect.does(new DrainMember(4, 5)),
            p -> assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("MemberDraining")),
        row("scale down: drained member still Ready: wait for its readiness probe, no second drain", cluster(5).replicas(3)
                .member(4, m -> m.drainedStillReady(Fixture.T0.plusSeconds(590), Fixture.T0)),
            Expect.waits("readiness probe of demo-4 to fail"),
            p -> assertThat(p.events()).isEmpty()),
        row("scale down: drained half a lease ago and still Ready: drained again before its drain can lapse", cluster(5).replicas(3)
                .member(4, m -> m.drainedStillReady(Fixture.T0.plusSeconds(540), Fixture.T0)),
            Expect.does(new DrainMember(4, 5))),
        row("scale down: Ready again after its drain (restarted, drain forgotten): drained again", cluster(5).replicas(3)
                .member(4, m -> m.drainedStillReady(Fixture.T0.plusSeconds(580), Fixture.T0.plusSeconds(590))),
            Expect.does(new DrainMember(4, 5))),
        row("scale down: drained member just left the Service: wait for kube-proxy", cluster(5).replicas(3)
                .member(4, m -> m.drained(Fixture.T0.plusSeconds(598))),
            Expect.waits("clients to stop reaching demo-4")),
        row("scale down: drained member out of the Service: removed from the member list", cluster(5).replicas(3)
                .member(4, m -> m.drained(Fixture.T0.plusSeconds(590))),
            Expect.does(new RemoveMember(4, 5)),
            p -> assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("MemberRemoving")),
        row("scale down of a member that is down: removed without draining", cluster(5).replicas(3).member(4, m -> m.down()),
            Expect.does(new RemoveMember(4, 5))),
        row("scale down of the leader: leadership moves first", cluster(5).replicas(3).leader(4)
                .member(2, m -> m.applied(1001)),
            Expect.does(new MoveLeader(4, 2, 3))),
        row("scale down that would break quorum: refused", cluster(5).replicas(3)
                .member(0, m -> m.unhealthy()).member(2, m -> m.unhealthy()),
            Expect.waits("below the quorum"),
            p -> assertThat(p.degraded().reason()).isEqualTo("ScaleRefused")),
        row("removed member's pod and volume deleted", cluster(3).member(3, m -> m.notMember()).member(4, m -> m.notMember()),
            Expect.does(new DeleteMemberResources(3, true))),
        row("retained volume after scale down: left alone", cluster(3).retainOnScaleDown()
                .member(3, m -> m.noPod().notMember()),
            Expect.waits("as specified")),
        row("scale up over a retained volume of a removed member: refused", cluster(3).replicas(5).retainOnScaleDown()
                .member(3, m -> m.noPod().notMember()),
            Expect.waits("delete the PersistentVolumeClaim demo-3"),
            p -> assertThat(p.progressing().reason()).isEqualTo("ScaleRefused")),
        row("scale up over a stale volume with whenScaled=Delete: the volume goes first", cluster(3).replicas(5)
                .member(3, m -> m.noPod().notMember()),
            Expect.does(new DeleteMemberResources(3, true))));
  }

  /** New TLS files (renewal, CA rotation step) roll through the upgrade roller at the running version. */
  static Stream<Arguments> certificateRolls() {
    String roll = "upgrade to " + V1;
    return Stream.of(
        row("members with old certificates: a roll at the same version starts, no snapshot, followers first",
            cluster(3).member(0, m -> m.oldCertificates()).member(1, m -> m.oldCertificates()),
            Expect.does(new DeletePod(0, roll)),
            p -> {
              assertThat(p.upgrade().from()).isEqualTo(V1);
              assertThat(p.upgrade().to()).isEqualTo(V1);
              assertThat(p.upgrade().member()).isEqualTo("demo-0");
              assertThat(p.phase()).isEqualTo(Phase.Upgrading);
              assertThat(p.progressing().reason()).isEqualTo("RollingCertificates");
              assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("CertificateRollStarted");
            }),
        row("only the leader has old certificates: leadership moves first", cluster(3).member(1, m -> m.oldCertificates()),
            Expect.does(new MoveLeader(1, 0, 1L))),
        row("old certificates but a member is unhealthy: preflight holds the roll", cluster(3)
                .all(m -> m.oldCertificates()).member(2, m -> m.unhealthy()),
            Expect.waits("demo-2"),
            p -> {
              assertThat(p.upgrade()).isNull();
              assertThat(p.progressing().reason()).isEqualTo("PreflightFailed");
            }),
        row("old certificates while scaling: scale first", cluster(3).replicas(5).all(m -> m.oldCertificates()),
            Expect.does(new AddLearner(3))),
        row("recreated member runs the new files, healthy, caught up: next member", cluster(3).all(m -> m.oldCertificates())
                .rollingCertificates(Step.ReplaceMember, "demo-0", T0).member(0, m -> { m.certificatesCurrent = true; return m; }),
            Expect.does(new DeletePod(2, roll)),
            p -> assertThat(p.upgrade().doneMembers()).containsExactly("demo-0")),
        row("recreated member still runs old files (the Secret changed again): wait for it", cluster(3)
                .all(m -> m.oldCertificates()).rollingCertificates(Step.ReplaceMember, "demo-0", T0.plusSeconds(500)),
            Expect.waits("runs old certificates")),
        row("recreated member not healthy past the timeout: stuck, nothing else touched", cluster(3)
                .all(m -> m.oldCertificates()).rollingCertificates(Step.ReplaceMember, "demo-0", T0)
                .member(0, m -> { m.pending().certificatesCurrent = true; return m; }),
            Expect.waits("timeout 300s"),
            p -> {
              assertThat(p.upgrade().step()).isEqualTo(Step.Stuck);
              assertThat(p.degraded().reason()).isEqualTo("UpgradeStuck");
            }),
        row("every member runs the current files: roll done, version unchanged", cluster(3)
                .rollingCertificates(Step.ReplaceMember, null, null, "demo-0", "demo-2"),
            Expect.waits("certificate roll completed"),
            p -> {
              assertThat(p.upgrade()).isNull();
              assertThat(p.version()).isEqualTo(V1);
              assertThat(p.progressing().reason()).isEqualTo("CertificatesRolled");
              assertThat(p.events()).extracting(Plan.Notice::reason).containsExactly("CertificatesRolled");
            }),
        row("spec.version bumped during a roll: the roll finishes first", cluster(3).version(V2)
                .all(m -> m.oldCertificates()).rollingCertificates(Step.ReplaceMember, null, null, "demo-0")
                .member(0, m -> { m.certificatesCurrent = true; return m; }),
            Expect.does(new DeletePod(2, roll)),
            p -> assertThat(p.events()).extracting(Plan.Notice::reason).contains("UpgradeDeferred")),
        row("an upgrade also replaces a member that runs the target with old certificates", cluster(3)
                .upgrading(Step.ReplaceMember, null, null).member(0, m -> m.runs(V2).oldCertificates()),
            Expect.does(new DeletePod(0, "upgrade to " + V2))),
        row("paused roll with resume: continues like an upgrade", cluster(3).pause().resume("demo-0")
                .member(2, m -> m.oldCertificates()).rollingCertificates(Step.Paused, null, null, "demo-0"),
            Expect.does(new DeletePod(2, roll))));
  }
}
