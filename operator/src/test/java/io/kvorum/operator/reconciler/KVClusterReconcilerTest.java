package io.kvorum.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.KVClusterSpec;
import io.kvorum.operator.crd.KVClusterStatus.Phase;
import io.kvorum.operator.crd.UpgradeStatus;
import io.kvorum.operator.member.Sha256TrailerStream;
import io.kvorum.operator.testing.FakeKubelet;
import io.kvorum.operator.testing.FakeMemberClient;
import io.kvorum.operator.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconciler end to end in one JVM: a mocked JOSDK Context whose secondary resources come
 * from a Fabric8 mock API server (CRUD mode), a fake kubelet that "runs" the pods, and a fake
 * Raft group behind {@link io.kvorum.operator.member.MemberClient}. Each loop iteration is one
 * reconcile followed by one kubelet sync.
 */
@EnableKubernetesMockClient(crud = true)
class KVClusterReconcilerTest {

  static final String NS = "kv";
  static final int MAX_LOOPS = 200;

  KubernetesClient client;
  @TempDir
  Path backups;

  FakeMemberClient members;
  FakeKubelet kubelet;
  MutableClock clock;
  KVClusterReconciler reconciler;
  KVCluster kvc;

  @BeforeEach
  void setUp() {
    members = new FakeMemberClient();
    kubelet = new FakeKubelet(client, members);
    clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    reconciler = newOperator();
    kvc = new KVCluster();
    kvc.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace(NS).withUid("uid-demo").withGeneration(1L).build());
    KVClusterSpec spec = new KVClusterSpec();
    spec.setReplicas(3);
    spec.setVersion("1.0.0");
    kvc.setSpec(spec);
  }

  int statusWrites;

  KVClusterReconciler newOperator() {
    return new KVClusterReconciler(members, new OperatorSettings(true, backups, Duration.ofSeconds(1), Duration.ofSeconds(5)),
        clock, new SimpleMeterRegistry(), (primary, status, ctx) -> {
          statusWrites++;
          kvc.setStatus(status);
        });
  }

  @SuppressWarnings("unchecked")
  Context<KVCluster> context() {
    Context<KVCluster> ctx = mock(Context.class);
    when(ctx.getClient()).thenReturn(client);
    when(ctx.getSecondaryResources(Pod.class)).thenAnswer(i -> new HashSet<>(
        client.pods().inNamespace(NS).withLabel(MemberNames.LABEL_CLUSTER, "demo").list().getItems()));
    when(ctx.getSecondaryResources(PersistentVolumeClaim.class)).thenAnswer(i -> new HashSet<>(
        client.persistentVolumeClaims().inNamespace(NS).withLabel(MemberNames.LABEL_CLUSTER, "demo").list().getItems()));
    return ctx;
  }

  /** One reconcile as JOSDK would run it, then the kubelet; returns the control. */
  UpdateControl<KVCluster> step() {
    UpdateControl<KVCluster> control = reconciler.reconcile(kvc, context());
    kubelet.sync(NS);
    clock.advance(Duration.ofSeconds(2));
    return control;
  }

  void runUntil(String what, Predicate<KVCluster> done) {
    for (int i = 0; i < MAX_LOOPS; i++) {
      step();
      if (done.test(kvc)) {
        return;
      }
    }
    throw new AssertionError("not reached after " + MAX_LOOPS + " reconciles: " + what + "; status " + kvc.getStatus().getPhase()
        + " " + kvc.getStatus().getUpgrade() + " conditions " + kvc.getStatus().getConditions() + "\ncalls " + members.calls);
  }

  void runToRunning() {
    runUntil("Running", k -> k.getStatus() != null && k.getStatus().getPhase() == Phase.Running);
  }

  void bumpVersion(String version) {
    kvc.getSpec().setVersion(version);
    kvc.getMetadata().setGeneration(kvc.getMetadata().getGeneration() + 1);
  }

  String condition(String type, java.util.function.Function<io.fabric8.kubernetes.api.model.Condition, String> field) {
    return Conditions.find(kvc.getStatus().getConditions(), type).map(field).orElse(null);
  }

  List<String> eventReasons() {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .sorted(java.util.Comparator.comparing(Event::getMetadata, java.util.Comparator.comparing(m -> m.getName())))
        .map(Event::getReason).toList();
  }

  @Test
  void createsMembersWithStableNamesAndBecomesAvailable() {
    step();
    List<Pod> pods = client.pods().inNamespace(NS).list().getItems();
    assertThat(pods).extracting(p -> p.getMetadata().getName()).containsExactlyInAnyOrder("demo-0", "demo-1", "demo-2");
    Pod pod = client.pods().inNamespace(NS).withName("demo-1").get();
    List<String> args = pod.getSpec().getContainers().getFirst().getArgs();
    assertThat(args).contains("--name=demo-1", "--initial-cluster-state=new",
        "--initial-advertise-peer-urls=http://demo-1.demo-peer.kv.svc:2380",
        "--initial-cluster=demo-0=http://demo-0.demo-peer.kv.svc:2380,demo-1=http://demo-1.demo-peer.kv.svc:2380,"
            + "demo-2=http://demo-2.demo-peer.kv.svc:2380");
    assertThat(pod.getSpec().getHostname()).isEqualTo("demo-1");
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getFsGroup()).isEqualTo(10001L);
    assertThat(pod.getSpec().getContainers().getFirst().getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(pod.getSpec().getContainers().getFirst().getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(2L);
    assertThat(pod.getSpec().getSubdomain()).isEqualTo("demo-peer");
    assertThat(pod.getSpec().getContainers().getFirst().getImage()).isEqualTo("kvorum/node:1.0.0");
    assertThat(pod.getSpec().getContainers().getFirst().getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(pod.getSpec().getContainers().getFirst().getLivenessProbe().getHttpGet().getPath()).isEqualTo("/livez");
    assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
      assertThat(o.getKind()).isEqualTo("KVCluster");
      assertThat(o.getController()).isTrue();
    });
    PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(NS).withName("demo-1").get();
    assertThat(pvc.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("1Gi");
    assertThat(pvc.getMetadata().getOwnerReferences()).as("whenDeleted=Retain: the volume outlives the cluster").isEmpty();
    assertThat(kvc.getStatus().getPhase()).isEqualTo(Phase.Creating);

    runToRunning();
    assertThat(kvc.getStatus().getReady()).isEqualTo("3/3");
    assertThat(kvc.getStatus().getLeader()).isEqualTo(members.leader().orElseThrow().name);
    assertThat(kvc.getStatus().getVersion()).isEqualTo("1.0.0");
    assertThat(kvc.getStatus().getMembers()).hasSize(3).allSatisfy(m -> {
      assertThat(m.healthy()).isTrue();
      assertThat(m.id()).isNotNull();
      assertThat(m.serverVersion()).isEqualTo("1.0.0");
    });
    assertThat(condition(Conditions.AVAILABLE, c -> c.getStatus())).isEqualTo("True");
    assertThat(condition(Conditions.PROGRESSING, c -> c.getStatus())).isEqualTo("False");
    assertThat(condition(Conditions.DEGRADED, c -> c.getStatus())).isEqualTo("False");
    assertThat(kvc.getStatus().getConditions()).allSatisfy(c -> {
      assertThat(c.getObservedGeneration()).isEqualTo(1L);
      assertThat(c.getLastTransitionTime()).isNotNull();
    });
    assertThat(eventReasons()).contains("CreatingMembers", "MembersCreated", "ClusterCreated");
  }

  @Test
  void statusIsPatchedOnlyWhenItChanges() {
    runToRunning();
    step();
    int writes = statusWrites;
    String transition = condition(Conditions.AVAILABLE, c -> c.getLastTransitionTime());
    for (int i = 0; i < 3; i++) {
      UpdateControl<KVCluster> quiet = step();
      assertThat(quiet.getScheduleDelay()).as("idle clusters are looked at again later").contains(5000L);
    }
    assertThat(statusWrites).as("nothing changed, nothing written").isEqualTo(writes);
    members.byName("demo-2").healthy = false;
    step();
    assertThat(statusWrites).isEqualTo(writes + 1);
    assertThat(condition(Conditions.DEGRADED, c -> c.getStatus())).isEqualTo("True");
    assertThat(condition(Conditions.AVAILABLE, c -> c.getLastTransitionTime())).as("still available: no new transition time")
        .isEqualTo(transition);
  }

  @Test
  void rollsAnUpgradeOneMemberAtATimeLeaderLastAfterASnapshot() throws Exception {
    runToRunning();
    String originalLeader = members.leader().orElseThrow().name;
    bumpVersion("1.1.0");
    runUntil("upgrade done", k -> "1.1.0".equals(k.getStatus().getVersion()) && k.getStatus().getUpgrade() == null
        || assertVersionHeld(k));

    List<String> calls = members.calls;
    int snapshot = calls.indexOf(calls.stream().filter(c -> c.startsWith("snapshot")).findFirst().orElseThrow());
    int firstStop = calls.indexOf(members.calls("stop").getFirst());
    assertThat(snapshot).as("snapshot before any member stopped").isLessThan(firstStop);
    assertThat(members.calls("stop")).hasSize(3);
    assertThat(members.calls("stop").getLast()).as("leader replaced last").isEqualTo("stop " + originalLeader);
    assertThat(members.calls("move-leader")).singleElement().satisfies(c -> assertThat(c).startsWith("move-leader " + originalLeader));
    assertThat(members.maxVotersDown).as("at most one member down").isEqualTo(1);
    assertThat(client.pods().inNamespace(NS).list().getItems())
        .allSatisfy(p -> assertThat(p.getSpec().getContainers().getFirst().getImage()).isEqualTo("kvorum/node:1.1.0"));
    assertThat(condition(Conditions.PROGRESSING, c -> c.getReason())).isEqualTo("UpgradeCompleted");

    var snap = kvc.getStatus().getLastSnapshot();
    assertThat(snap.member()).isEqualTo(originalLeader);
    Path file = backups.resolve(snap.name());
    try (OutputStream sink = OutputStream.nullOutputStream(); var check = new Sha256TrailerStream(sink)) {
      check.write(Files.readAllBytes(file));
      assertThat(check.verify()).isEqualTo(snap.sha256());
    }
    assertThat(eventReasons()).contains("UpgradeStarted", "SnapshotTaken", "PodDeleted", "MemberReplaced", "LeadershipMoved",
        "UpgradeCompleted");
  }

  /** status.version must stay at the old version until every member runs the new one. */
  private boolean assertVersionHeld(KVCluster k) {
    boolean allNew = members.members.stream().allMatch(n -> "1.1.0".equals(n.version) && n.running);
    if (!allNew) {
      assertThat(k.getStatus().getVersion()).isEqualTo("1.0.0");
    }
    return false;
  }

  @Test
  void aRestartedOperatorResumesFromStatusAndNeverRedoesAMember() {
    runToRunning();
    bumpVersion("1.1.0");
    runUntil("one member done", k -> k.getStatus().getUpgrade() != null && k.getStatus().getUpgrade().doneMembers().size() == 1);
    String done = kvc.getStatus().getUpgrade().doneMembers().getFirst();
    int snapshots = members.calls("snapshot").size();

    reconciler = newOperator(); // a new process: nothing but the status survives
    runUntil("upgrade done", k -> k.getStatus().getUpgrade() == null && "1.1.0".equals(k.getStatus().getVersion()));
    assertThat(members.calls("stop " + done)).as(done + " replaced exactly once").hasSize(1);
    assertThat(members.calls("snapshot")).as("no second snapshot").hasSize(snapshots);
    assertThat(members.calls("stop")).hasSize(3);
  }

  @Test
  void aSkippedMinorIsRefusedWithAConditionAndAnEventAndTouchesNothing() {
    runToRunning();
    bumpVersion("1.2.0");
    for (int i = 0; i < 5; i++) step();
    assertThat(members.calls("stop")).isEmpty();
    assertThat(members.calls("snapshot")).isEmpty();
    assertThat(kvc.getStatus().getUpgrade()).isNull();
    assertThat(kvc.getStatus().getVersion()).isEqualTo("1.0.0");
    assertThat(condition(Conditions.PROGRESSING, c -> c.getReason())).isEqualTo("UpgradeRefused");
    assertThat(condition(Conditions.PROGRESSING, c -> c.getMessage())).contains("one minor at a time");
    assertThat(condition(Conditions.PROGRESSING, c -> c.getObservedGeneration().toString())).isEqualTo("2");
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .anySatisfy(e -> {
          assertThat(e.getReason()).isEqualTo("UpgradeRefused");
          assertThat(e.getType()).isEqualTo("Warning");
        });
  }

  @Test
  void aMemberThatStaysUnhealthyStopsTheUpgradeAsDegraded() {
    kvc.getSpec().getUpgrade().setHealthTimeoutSeconds(30);
    runToRunning();
    members.brokenVersions.add("1.1.0");
    bumpVersion("1.1.0");
    runUntil("stuck", k -> k.getStatus().getUpgrade() != null && k.getStatus().getUpgrade().step() == UpgradeStatus.Step.Stuck);
    for (int i = 0; i < 10; i++) step();
    assertThat(members.calls("stop")).as("nothing else touched").hasSize(1);
    assertThat(kvc.getStatus().getPhase()).isEqualTo(Phase.Degraded);
    assertThat(condition(Conditions.DEGRADED, c -> c.getReason())).isEqualTo("UpgradeStuck");
    assertThat(eventReasons().stream().filter("UpgradeStuck"::equals)).hasSize(1);
  }

  @Test
  void scalesUpThroughLearnersAndDownThroughMemberRemove() {
    runToRunning();
    kvc.getSpec().setReplicas(5);
    kvc.getMetadata().setGeneration(2L);
    runUntil("5 voters", k -> "5/5".equals(k.getStatus().getReady()) && k.getStatus().getPhase() == Phase.Running);
    assertThat(members.calls("add-learner")).containsExactly("add-learner demo-3", "add-learner demo-4");
    assertThat(members.calls("promote")).containsExactly("promote demo-3", "promote demo-4");
    assertThat(client.pods().inNamespace(NS).withName("demo-4").get().getSpec().getContainers().getFirst().getArgs())
        .contains("--initial-cluster-state=existing");

    kvc.getSpec().setReplicas(3);
    kvc.getMetadata().setGeneration(3L);
    runUntil("3 voters, leftovers gone", k -> k.getStatus().getPhase() == Phase.Running && "3/3".equals(k.getStatus().getReady())
        && client.pods().inNamespace(NS).list().getItems().size() == 3
        && client.persistentVolumeClaims().inNamespace(NS).list().getItems().size() == 3);
    assertThat(members.calls("remove")).containsExactly("remove demo-4", "remove demo-3");
    int removeIndex = members.calls.indexOf("remove demo-4");
    int stopIndex = members.calls.indexOf("stop demo-4");
    assertThat(removeIndex).as("member removed before its pod is deleted").isLessThan(stopIndex);
    assertThat(Map.of("members", members.members.size())).containsEntry("members", 3);
  }
}
