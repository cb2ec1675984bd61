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
import io.kvorum.operator.crd.TlsSecrets;
import io.kvorum.operator.crd.TlsSpec;
import io.kvorum.operator.member.Sha256TrailerStream;
import io.kvorum.operator.tls.CertificateIssuer;
import io.kvorum.operator.tls.Issued;
import io.kvorum.operator.tls.Pem;
import java.security.cert.X509Certificate;
import java.util.Set;
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
    assertThat(pod.getSpec().getContainers().getFirst().getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("metrics");
    assertThat(pod.getSpec().getContainers().getFirst().getArgs()).contains("--listen-metrics-urls=http://0.0.0.0:2381");
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
  void scalesUpThroughLearnersAndDownThroughDrainAndMemberRemove() {
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
    assertThat(members.calls("drain")).containsExactly("drain demo-4", "drain demo-3");
    int drainIndex = members.calls.indexOf("drain demo-4");
    int removeIndex = members.calls.indexOf("remove demo-4");
    int stopIndex = members.calls.indexOf("stop demo-4");
    assertThat(drainIndex).as("member drained (out of the client Service) before it is removed").isLessThan(removeIndex);
    assertThat(removeIndex).as("member removed before its pod is deleted").isLessThan(stopIndex);
    assertThat(client.pods().inNamespace(NS).list().getItems()).as("the remaining members still serve clients")
        .allSatisfy(p -> assertThat(p.getStatus().getConditions()).anySatisfy(c -> {
          assertThat(c.getType()).isEqualTo("Ready");
          assertThat(c.getStatus()).isEqualTo("True");
        }));
    assertThat(Map.of("members", members.members.size())).containsEntry("members", 3);
  }

  @Test
  void aDrainedMemberWhosePodIsStillReadyIsNotDrainedAgain() {
    kubelet.readinessProbeFailures = 3;
    runToRunning();
    kvc.getSpec().setReplicas(4);
    kvc.getMetadata().setGeneration(2L);
    runUntil("4 voters, demo-3 in the client Service", k -> "4/4".equals(k.getStatus().getReady()) && k.getStatus().getPhase() == Phase.Running
        && client.pods().inNamespace(NS).withName("demo-3").get().getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));

    kvc.getSpec().setReplicas(3);
    kvc.getMetadata().setGeneration(3L);
    runUntil("3 voters, leftovers gone", k -> k.getStatus().getPhase() == Phase.Running && "3/3".equals(k.getStatus().getReady())
        && client.pods().inNamespace(NS).list().getItems().size() == 3);
    assertThat(members.calls("drain")).as("the kubelet took three syncs to see the drain; the operator waited for it")
        .containsExactly("drain demo-3");
    assertThat(eventReasons().stream().filter("MemberDraining"::equals)).hasSize(1);
    assertThat(members.calls.indexOf("drain demo-3")).isLessThan(members.calls.indexOf("remove demo-3"));
  }

  @Test
  void aMemberThatCannotDrainIsRemovedAnywayWithAWarning() {
    members.drainUnsupported = true;
    runToRunning();
    kvc.getSpec().setReplicas(5);
    kvc.getMetadata().setGeneration(2L);
    runUntil("5 voters", k -> "5/5".equals(k.getStatus().getReady()) && k.getStatus().getPhase() == Phase.Running);

    kvc.getSpec().setReplicas(3);
    kvc.getMetadata().setGeneration(3L);
    runUntil("3 voters, leftovers gone", k -> k.getStatus().getPhase() == Phase.Running && "3/3".equals(k.getStatus().getReady())
        && client.pods().inNamespace(NS).list().getItems().size() == 3);
    assertThat(members.calls("remove")).containsExactly("remove demo-4", "remove demo-3");
    assertThat(members.calls.indexOf("drain-unsupported demo-4")).as("asked to drain first")
        .isLessThan(members.calls.indexOf("remove demo-4"));
    assertThat(eventReasons()).contains("DrainUnsupported");
  }

  // --- spec.tls

  void tls(TlsSpec.Mode mode, String validity, String renewBefore, String caValidity) {
    TlsSpec tls = new TlsSpec();
    tls.setMode(mode);
    tls.setValidity(validity);
    tls.setRenewBefore(renewBefore);
    tls.setCaValidity(caValidity);
    kvc.getSpec().setTls(tls);
  }

  Map<String, String> secretData(String name) {
    Map<String, String> out = new java.util.TreeMap<>();
    client.secrets().inNamespace(NS).withName(name).get().getData()
        .forEach((k, v) -> out.put(k, new String(java.util.Base64.getDecoder().decode(v), java.nio.charset.StandardCharsets.UTF_8)));
    return out;
  }

  X509Certificate leaf(String secret) {
    return Pem.readCertificates(secretData(secret).get("tls.crt")).getFirst();
  }

  /** What a pod mounted when it was created (the kubelet reads the Secret then): its certificate and trust bundle. */
  record Mounted(X509Certificate certificate, List<X509Certificate> bundle) { }

  final Map<String, Mounted> mountedByUid = new java.util.HashMap<>();

  /**
   * One step, then the safety property of a certificate roll: every two running members accept
   * each other's certificates (each one's certificate chains to a CA in the other's bundle).
   */
  void stepCheckingMutualTrust() {
    step();
    List<Pod> pods = client.pods().inNamespace(NS).withLabel(MemberNames.LABEL_CLUSTER, "demo").list().getItems();
    for (Pod p : pods) {
      mountedByUid.computeIfAbsent(p.getMetadata().getUid(), uid -> {
        var data = secretData(p.getSpec().getVolumes().stream().filter(v -> v.getName().equals("tls-peer")).findFirst()
            .orElseThrow().getSecret().getSecretName());
        return new Mounted(Pem.readCertificates(data.get("tls.crt")).getFirst(), Pem.readCertificates(data.get("ca.crt")));
      });
    }
    for (Pod a : pods) {
      for (Pod b : pods) {
        Mounted ma = mountedByUid.get(a.getMetadata().getUid());
        Mounted mb = mountedByUid.get(b.getMetadata().getUid());
        assertThat(mb.bundle()).as(b.getMetadata().getName() + " trusts " + a.getMetadata().getName())
            .anyMatch(ca -> Pem.signedBy(ma.certificate(), ca));
      }
    }
  }

  void runCheckingMutualTrust(String what, Predicate<KVCluster> done) {
    for (int i = 0; i < MAX_LOOPS; i++) {
      stepCheckingMutualTrust();
      if (done.test(kvc)) {
        return;
      }
    }
    throw new AssertionError("not reached: " + what + "; status " + kvc.getStatus().getUpgrade() + " " + kvc.getStatus().getConditions());
  }

  /** No roll in progress and every pod carries the revision of its Secret. */
  boolean rolledOut(KVCluster k) {
    return k.getStatus().getUpgrade() == null && k.getStatus().getPhase() == Phase.Running
        && client.pods().inNamespace(NS).list().getItems().stream().allMatch(p -> p.getMetadata().getAnnotations()
            .get(CertificateSecrets.ANNOTATION_REVISION).equals(CertificateSecrets.revision(secretData(p.getMetadata().getName() + "-tls"))));
  }

  Set<String> podUids() {
    return client.pods().inNamespace(NS).list().getItems().stream().map(p -> p.getMetadata().getUid()).collect(java.util.stream.Collectors.toSet());
  }

  @Test
  void generatedTlsIssuesCertificatesMountsThemAndRollsRenewalsOneMemberAtATime() {
    tls(TlsSpec.Mode.Generated, "24h", "8h", "720h");
    runToRunning();

    X509Certificate ca = Pem.readCertificates(secretData("demo-ca").get("tls.crt")).getFirst();
    assertThat(client.secrets().inNamespace(NS).list().getItems()).extracting(x -> x.getMetadata().getName())
        .containsExactlyInAnyOrder("demo-ca", "demo-0-tls", "demo-1-tls", "demo-2-tls", "demo-operator-tls");
    assertThat(client.secrets().inNamespace(NS).list().getItems()).allSatisfy(x ->
        assertThat(x.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-demo")));
    X509Certificate member1 = leaf("demo-1-tls");
    assertThat(Pem.signedBy(member1, ca)).isTrue();
    assertThat(io.kvorum.operator.tls.SubjectAltNames.dnsNames(member1)).contains("demo-1.demo-peer.kv.svc", "demo-client.kv.svc", "localhost");
    assertThat(leaf("demo-operator-tls").getSubjectX500Principal().getName()).contains("CN=root");

    Pod pod = client.pods().inNamespace(NS).withName("demo-1").get();
    var container = pod.getSpec().getContainers().getFirst();
    assertThat(container.getArgs()).contains(
        "--listen-client-urls=https://0.0.0.0:2379", "--advertise-client-urls=https://demo-1.demo-peer.kv.svc:2379",
        "--listen-peer-urls=https://0.0.0.0:2380", "--initial-advertise-peer-urls=https://demo-1.demo-peer.kv.svc:2380",
        "--cert-file=/etc/kvorum/tls/server/tls.crt", "--key-file=/etc/kvorum/tls/server/tls.key",
        "--trusted-ca-file=/etc/kvorum/tls/server/ca.crt", "--client-cert-auth",
        "--peer-cert-file=/etc/kvorum/tls/peer/tls.crt", "--peer-key-file=/etc/kvorum/tls/peer/tls.key",
        "--peer-trusted-ca-file=/etc/kvorum/tls/peer/ca.crt", "--peer-client-cert-auth");
    assertThat(container.getArgs()).anySatisfy(a -> assertThat(a).startsWith("--initial-cluster=demo-0=https://demo-0.demo-peer.kv.svc:2380,"));
    assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getName().startsWith("tls-"))
        .extracting(v -> v.getSecret().getSecretName()).containsOnly("demo-1-tls");
    assertThat(container.getVolumeMounts()).filteredOn(m -> m.getName().startsWith("tls-"))
        .allSatisfy(m -> assertThat(m.getReadOnly()).isTrue())
        .extracting(m -> m.getMountPath()).containsExactlyInAnyOrder("/etc/kvorum/tls/server", "/etc/kvorum/tls/peer");
    assertThat(container.getReadinessProbe().getHttpGet().getPort().getStrVal())
        .as("the kubelet has no client certificate: it probes the metrics port").isEqualTo("metrics");
    assertThat(container.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTP");
    assertThat(container.getArgs()).contains("--listen-metrics-urls=http://0.0.0.0:2381");
    assertThat(pod.getMetadata().getAnnotations().get(CertificateSecrets.ANNOTATION_REVISION))
        .isEqualTo(CertificateSecrets.revision(secretData("demo-1-tls")));
    assertThat(members.tlsRequested.getLast().serverDomain()).isEqualTo(".demo-peer.kv.svc");
    assertThat(Pem.readCertificates(members.tlsRequested.getLast().trustedCas())).containsExactly(ca);
    assertThat(kvc.getStatus().getMembers()).allSatisfy(m -> assertThat(m.healthy()).isTrue());

    Set<String> before = podUids();
    clock.advance(Duration.ofHours(17)); // within renewBefore (8h) of the 24h validity
    runCheckingMutualTrust("renewed certificates rolled", this::rolledOut);
    assertThat(leaf("demo-1-tls").getNotAfter()).isAfter(member1.getNotAfter());
    assertThat(podUids()).as("every pod replaced").doesNotContainAnyElementsOf(before);
    assertThat(members.maxVotersDown).as("one member at a time").isEqualTo(1);
    assertThat(members.calls("snapshot")).as("no snapshot for a certificate roll").isEmpty();
    assertThat(kvc.getStatus().getVersion()).isEqualTo("1.0.0");
    assertThat(eventReasons()).contains("CertificateIssued", "CertificateRollStarted", "LeadershipMoved", "CertificatesRolled");
  }

  @Test
  void aCaRotationRollsTheTrustBundleFirstAndTheNewCertificatesSecondWithoutLosingTrust() {
    tls(TlsSpec.Mode.Generated, "90h", "20h", "100h");
    runToRunning();
    X509Certificate oldCa = Pem.readCertificates(secretData("demo-ca").get("tls.crt")).getFirst();
    stepCheckingMutualTrust();

    clock.advance(Duration.ofHours(81)); // the CA (100h) is within renewBefore (20h)
    runCheckingMutualTrust("new CA promoted and rolled", k -> rolledOut(k) && !secretData("demo-ca").containsKey("next.crt")
        && !Pem.signedBy(leaf("demo-0-tls"), oldCa));

    X509Certificate newCa = Pem.readCertificates(secretData("demo-ca").get("tls.crt")).getFirst();
    assertThat(newCa).isNotEqualTo(oldCa);
    for (int n = 0; n < 3; n++) {
      assertThat(Pem.signedBy(leaf("demo-" + n + "-tls"), newCa)).isTrue();
    }
    assertThat(Pem.signedBy(leaf("demo-operator-tls"), newCa)).isTrue();
    assertThat(Pem.readCertificates(secretData("demo-1-tls").get("ca.crt"))).as("old CA kept until it expires")
        .containsExactly(newCa, oldCa);
    assertThat(eventReasons()).containsSubsequence("CaRotationStarted", "CertificatesRolled", "CaPromoted", "CertificatesRolled");
    assertThat(members.maxVotersDown).isEqualTo(1);
  }

  @Test
  void userSecretsAreCheckedMountedAndAChangeIsRolled() {
    TlsSpec tls = new TlsSpec();
    tls.setMode(TlsSpec.Mode.Secrets);
    tls.setClientCertAuth(false);
    tls.setSecrets(new TlsSecrets("kv-server", "kv-peer", "kv-client"));
    kvc.getSpec().setTls(tls);
    step();
    assertThat(client.pods().inNamespace(NS).list().getItems()).as("nothing created without certificates").isEmpty();
    assertThat(condition(Conditions.DEGRADED, c -> c.getReason())).isEqualTo("TlsNotReady");
    assertThat(condition(Conditions.DEGRADED, c -> c.getMessage())).contains("Secret kv/kv-server (spec.tls.secrets.server) does not exist");
    assertThat(eventReasons()).containsOnlyOnce("TlsNotReady");
    step();
    assertThat(eventReasons()).as("reported once, not every reconcile").containsOnlyOnce("TlsNotReady");

    CertificateIssuer issuer = new CertificateIssuer();
    Instant now = clock.instant();
    Issued ca = issuer.newCa("company ca", now, Duration.ofDays(365));
    List<String> names = List.of("*.demo-peer.kv.svc", "*.demo-peer.kv.svc.cluster.local", "demo-client.kv.svc", "localhost");
    userSecret("kv-server", ca, issuer.issue(ca, "demo", CertificateIssuer.Usage.MEMBER, names, List.of(), now, Duration.ofDays(90)));
    userSecret("kv-peer", ca, issuer.issue(ca, "demo", CertificateIssuer.Usage.MEMBER, names, List.of(), now, Duration.ofDays(90)));
    userSecret("kv-client", ca, issuer.issue(ca, "root", CertificateIssuer.Usage.CLIENT, List.of(), List.of(), now, Duration.ofDays(90)));
    runToRunning();
    Pod pod = client.pods().inNamespace(NS).withName("demo-0").get();
    assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getName().startsWith("tls-"))
        .extracting(v -> v.getName() + "=" + v.getSecret().getSecretName()).containsExactlyInAnyOrder("tls-peer=kv-peer", "tls-server=kv-server");
    var container = pod.getSpec().getContainers().getFirst();
    assertThat(container.getArgs()).contains("--cert-file=/etc/kvorum/tls/server/tls.crt", "--peer-client-cert-auth")
        .doesNotContain("--client-cert-auth");
    assertThat(container.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTP");
    assertThat(client.secrets().inNamespace(NS).list().getItems()).as("the user's Secrets only").hasSize(3);

    Set<String> before = podUids();
    userSecret("kv-server", ca, issuer.issue(ca, "demo", CertificateIssuer.Usage.MEMBER, names, List.of(), now, Duration.ofDays(91)));
    runUntil("renewed user certificate rolled", k -> k.getStatus().getUpgrade() == null && podUids().stream().noneMatch(before::contains));
    assertThat(members.maxVotersDown).isEqualTo(1);
  }

  void userSecret(String name, Issued ca, Issued cert) {
    client.secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .withType("kubernetes.io/tls")
        .addToStringData("tls.crt", cert.certificatePem()).addToStringData("tls.key", cert.keyPem())
        .addToStringData("ca.crt", ca.certificatePem())
        .build()).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
  }
}
