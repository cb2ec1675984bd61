package io.kvorum.operator.planner;

import io.kvorum.operator.crd.KVClusterStatus.Phase;
import io.kvorum.operator.crd.SnapshotStatus;
import io.kvorum.operator.crd.UpgradeStatus;
import io.kvorum.operator.crd.UpgradeStatus.Step;
import io.kvorum.operator.planner.ObservedMember.PodState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Observed states for planner tables, written as the difference from a healthy cluster:
 * {@code cluster(3).leader(1).member(2, m -> m.unhealthy())}. Members are named demo-N, have
 * id N+1, applied index 1000, run {@link #V1} and are healthy followers unless told otherwise.
 */
final class Fixture {

  static final String V1 = "1.0.0";
  static final String V2 = "1.1.0";
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  static final class Member {
    final int ordinal;
    PodState pod = PodState.RUNNING;
    String podVersion = V1;
    boolean pvc = true;
    Long id;
    boolean learner;
    boolean healthy = true;
    String serverVersion = V1;
    boolean leader;
    long applied = 1000;
    boolean alarm;
    boolean certificatesCurrent = true;
    boolean podReady = true;
    Instant podReadyChanged;
    Instant drainedAt;

    Member(int ordinal) {
      this.ordinal = ordinal;
      this.id = (long) ordinal + 1;
    }

    Member unhealthy() { healthy = false; podReady = false; return this; }
    Member down() { healthy = false; serverVersion = null; applied = -1; podReady = false; return this; }
    /** Serving but drained: the kubelet reports the pod not Ready since {@code since}. */
    Member drained(Instant since) { podReady = false; podReadyChanged = since; return this; }
    /** Drained at {@code at}; the kubelet still reports the pod Ready, since {@code readySince}. */
    Member drainedStillReady(Instant at, Instant readySince) { drainedAt = at; podReadyChanged = readySince; return this; }
    Member noPod() { pod = PodState.ABSENT; podVersion = null; return down(); }
    Member terminating() { pod = PodState.TERMINATING; return this; }
    Member failed() { pod = PodState.FAILED; return down(); }
    Member noPvc() { pvc = false; return this; }
    Member notMember() { id = null; return this; }
    Member learner() { learner = true; return this; }
    Member runs(String v) { podVersion = v; serverVersion = v; return this; }
    Member applied(long a) { applied = a; return this; }
    Member alarm() { alarm = true; return this; }
    Member pending() { pod = PodState.PENDING; return down(); }
    Member podVersion(String v) { podVersion = v; return this; }
    Member oldCertificates() { certificatesCurrent = false; return this; }

    ObservedMember build() {
      return new ObservedMember(ordinal, "demo-" + ordinal, pod, podVersion, pvc, id, learner, healthy, serverVersion,
          leader, applied, alarm, certificatesCurrent, podReady, podReadyChanged, drainedAt);
    }
  }

  private final List<Member> members = new ArrayList<>();
  int replicas;
  String version = V1;
  String clusterVersion = "1.0";
  Phase phase = Phase.Running;
  String statusVersion = V1;
  UpgradeStatus upgrade;
  SnapshotStatus snapshot;
  Instant now = T0.plusSeconds(600);
  Duration timeout = Duration.ofSeconds(300);
  boolean pause;
  String resume;
  boolean deletePvcOnScaleDown = true;

  private Fixture(int size) {
    this.replicas = size;
    for (int i = 0; i < size; i++) {
      members.add(new Member(i));
    }
  }

  /** A healthy cluster of {@code size} voters at V1 with demo-1 (or demo-0 alone) leading. */
  static Fixture cluster(int size) {
    Fixture f = new Fixture(size);
    return f.leader(size > 1 ? 1 : 0);
  }

  /** A cluster being created: no pods, nothing in the member list. */
  static Fixture fresh(int size) {
    Fixture f = new Fixture(size);
    f.phase = null;
    f.statusVersion = null;
    f.clusterVersion = null;
    f.members.forEach(m -> m.noPod().notMember().pvc = false);
    return f;
  }

  Fixture leader(int ordinal) {
    members.forEach(m -> m.leader = m.ordinal == ordinal);
    return this;
  }

  Fixture member(int ordinal, UnaryOperator<Member> change) {
    Member m = members.stream().filter(x -> x.ordinal == ordinal).findFirst().orElseGet(() -> {
      Member added = new Member(ordinal);
      members.add(added);
      return added;
    });
    change.apply(m);
    return this;
  }

  Fixture all(UnaryOperator<Member> change) {
    members.forEach(change::apply);
    return this;
  }

  /** Every member and the status at version {@code v}, cluster version its MAJOR.MINOR. */
  Fixture running(String v) {
    statusVersion = v;
    version = v;
    clusterVersion = Semver.parse(v).majorMinor();
    return all(m -> m.runs(v));
  }

  Fixture replicas(int n) { replicas = n; return this; }
  Fixture version(String v) { version = v; return this; }
  Fixture clusterVersion(String v) { clusterVersion = v; return this; }
  Fixture phase(Phase p) { phase = p; return this; }
  Fixture pause() { pause = true; return this; }
  Fixture resume(String member) { resume = member; return this; }
  Fixture retainOnScaleDown() { deletePvcOnScaleDown = false; return this; }
  Fixture snapshotAt(Instant at) {
    snapshot = new SnapshotStatus("demo-7-" + at.getEpochSecond() + ".db", 7L, 1024L, "ab", at.toString(), "demo-1");
    return this;
  }

  /** An upgrade V1 -> V2 started at T0, at {@code step}, with {@code member} in progress since {@code since}. */
  Fixture upgrading(Step step, String member, Instant since, String... done) {
    version = V2;
    upgrade = new UpgradeStatus(V1, V2, step, member, since == null ? null : since.toString(), List.of(done), T0.toString(), null);
    return this;
  }

  /** A certificate roll at V1 (from V1 to V1) started at T0, at {@code step}, with {@code member} in progress since {@code since}. */
  Fixture rollingCertificates(Step step, String member, Instant since, String... done) {
    upgrade = new UpgradeStatus(V1, V1, step, member, since == null ? null : since.toString(), List.of(done), T0.toString(), null);
    return this;
  }

  ObservedCluster build() {
    Desired desired = new Desired(replicas, version, timeout, pause, resume, deletePvcOnScaleDown);
    return new ObservedCluster("demo", desired, members.stream().map(Member::build).toList(), clusterVersion, phase,
        statusVersion, upgrade, snapshot, now);
  }

  @Override
  public String toString() {
    return "Fixture";
  }
}
