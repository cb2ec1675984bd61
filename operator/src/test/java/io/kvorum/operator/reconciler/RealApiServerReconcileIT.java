package io.kvorum.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.KVClusterSpec;
import io.kvorum.operator.crd.KVClusterStatus.Phase;
import io.kvorum.operator.testing.KubeApiServerSupport;
import io.kvorum.operator.testing.FakeKubelet;
import io.kvorum.operator.testing.FakeMemberClient;
import io.kvorum.operator.testing.MutableClock;
import io.kvorum.operator.crd.TlsSpec;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconciler against a real kube-apiserver (no kubelet: a fake one marks pods running and
 * starts their nodes in an in-memory Raft group). The API server validates every object the
 * operator writes: member pods (probes, preStop, security context), volumes, Services, the
 * disruption budget, Events, and status through the status subresource. Then an upgrade rolls
 * and {@code kubectl get kvc} shows the result.
 */
class RealApiServerReconcileIT {

  static final String CLUSTER_NS = "kvorum-reconcile";

  @TempDir
  Path backups;

  static KubernetesClient client;
  static KubeApiServerSupport.Env env;

  @BeforeAll
  static void namespace() {
    env = KubeApiServerSupport.require();
    client = env.client();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(CLUSTER_NS).endMetadata().build()).create();
  }

  String cluster = "real";

  KVCluster current() {
    return client.resources(KVCluster.class).inNamespace(CLUSTER_NS).withName(cluster).get();
  }

  @SuppressWarnings("unchecked")
  Context<KVCluster> context() {
    Context<KVCluster> ctx = mock(Context.class);
    when(ctx.getClient()).thenReturn(client);
    when(ctx.getSecondaryResources(Pod.class)).thenAnswer(i -> new HashSet<>(
        client.pods().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, cluster).list().getItems()));
    when(ctx.getSecondaryResources(PersistentVolumeClaim.class)).thenAnswer(i -> new HashSet<>(
        client.persistentVolumeClaims().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, cluster).list().getItems()));
    return ctx;
  }

  void reconcileUntil(KVClusterReconciler reconciler, FakeKubelet kubelet, String what, Predicate<KVCluster> done) {
    reconcileUntil(reconciler, kubelet, what, done, () -> { });
  }

  /** {@code afterEach} runs after every reconcile and kubelet sync (for invariants that must hold throughout). */
  void reconcileUntil(KVClusterReconciler reconciler, FakeKubelet kubelet, String what, Predicate<KVCluster> done, Runnable afterEach) {
    for (int i = 0; i < 150; i++) {
      reconciler.reconcile(current(), context());
      kubelet.sync(CLUSTER_NS);
      afterEach.run();
      if (done.test(current())) {
        return;
      }
    }
    throw new AssertionError("not reached: " + what + "; status " + current().getStatus());
  }

  /** Creates the cluster and its Services and budget (what JOSDK's dependents do in the operator). */
  KVCluster create(KVClusterSpec spec) {
    KVCluster kvc = new KVCluster();
    kvc.setMetadata(new ObjectMetaBuilder().withName(cluster).withNamespace(CLUSTER_NS).build());
    kvc.setSpec(spec);
    kvc = client.resource(kvc).create();
    for (HasMetadata dependent : List.<HasMetadata>of(
        new PeerServiceDependent().desired(kvc, null),
        new ClientServiceDependent().desired(kvc, null),
        new DisruptionBudgetDependent().desired(kvc, null))) {
      client.resource(dependent).create();
    }
    return kvc;
  }

  KVClusterReconciler reconciler(FakeMemberClient members, Clock clock) {
    return new KVClusterReconciler(members,
        new OperatorSettings(true, backups, Duration.ofSeconds(1), Duration.ofSeconds(5)), clock,
        new SimpleMeterRegistry(), (primary, status, ctx) -> {
          KVCluster latest = current();
          latest.setStatus(status);
          client.resource(latest).updateStatus();
        });
  }

  @Test
  void createsAndUpgradesAClusterThroughTheRealApiServer() throws Exception {
    KVClusterSpec spec = new KVClusterSpec();
    spec.setReplicas(3);
    spec.setVersion("1.0.0");
    create(spec);

    FakeMemberClient members = new FakeMemberClient();
    FakeKubelet kubelet = new FakeKubelet(client, members);
    KVClusterReconciler reconciler = reconciler(members, Clock.systemUTC());

    reconcileUntil(reconciler, kubelet, "Running", k -> k.getStatus() != null && k.getStatus().getPhase() == Phase.Running);
    assertThat(client.pods().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, cluster).list().getItems()).hasSize(3);
    assertThat(client.persistentVolumeClaims().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, cluster).list().getItems()).hasSize(3);
    assertThat(client.v1().events().inNamespace(CLUSTER_NS).list().getItems()).extracting(e -> e.getReason())
        .contains("MembersCreated", "ClusterCreated");

    KVCluster bumped = current();
    bumped.getSpec().setVersion("1.1.0");
    client.resource(bumped).update();
    reconcileUntil(reconciler, kubelet, "upgraded", k -> k.getStatus().getUpgrade() == null && "1.1.0".equals(k.getStatus().getVersion()));
    assertThat(members.calls("stop")).as("each member replaced once").hasSize(3);
    assertThat(current().getStatus().getObservedGeneration()).isEqualTo(current().getMetadata().getGeneration());

    String leader = current().getStatus().getLeader();
    List<String> lines = env.kubectl("get", "kvc", "-n", CLUSTER_NS, "real");
    assertThat(lines.get(1).split("\\s+")).startsWith("real", "1.1.0", "1.1.0", "3/3", "Running", leader);
  }

  /**
   * A Generated-TLS cluster through the real API server (which validates the Secrets and the pods
   * that mount them): Secrets owned by the cluster, https URLs and etcd's TLS flags, then a
   * renewal rolled one pod at a time, and an upgrade on top.
   */
  @Test
  void aTlsClusterGetsItsSecretsMountsAndHttpsUrlsAndRollsRenewedCertificatesOnePodAtATime() {
    cluster = "secure";
    KVClusterSpec spec = new KVClusterSpec();
    spec.setReplicas(3);
    spec.setVersion("1.0.0");
    TlsSpec tls = new TlsSpec();
    tls.setMode(TlsSpec.Mode.Generated);
    tls.setValidity("24h");
    tls.setRenewBefore("8h");
    spec.setTls(tls);
    create(spec);
    FakeMemberClient members = new FakeMemberClient();
    FakeKubelet kubelet = new FakeKubelet(client, members);
    MutableClock clock = new MutableClock(Instant.now());
    KVClusterReconciler reconciler = reconciler(members, clock);

    reconcileUntil(reconciler, kubelet, "Running", k -> k.getStatus() != null && k.getStatus().getPhase() == Phase.Running);
    assertThat(client.secrets().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, "secure").list().getItems())
        .extracting(x -> x.getMetadata().getName())
        .containsExactlyInAnyOrder("secure-ca", "secure-0-tls", "secure-1-tls", "secure-2-tls", "secure-operator-tls");
    Pod pod = client.pods().inNamespace(CLUSTER_NS).withName("secure-2").get();
    assertThat(pod.getSpec().getContainers().getFirst().getArgs()).contains(
        "--listen-client-urls=https://0.0.0.0:2379", "--advertise-client-urls=https://secure-2.secure-peer." + CLUSTER_NS + ".svc:2379",
        "--initial-advertise-peer-urls=https://secure-2.secure-peer." + CLUSTER_NS + ".svc:2380",
        "--cert-file=/etc/kvorum/tls/server/tls.crt", "--trusted-ca-file=/etc/kvorum/tls/server/ca.crt", "--client-cert-auth",
        "--peer-cert-file=/etc/kvorum/tls/peer/tls.crt", "--peer-client-cert-auth");
    assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getSecret() != null)
        .extracting(v -> v.getSecret().getSecretName()).containsOnly("secure-2-tls");
    assertThat(current().getStatus().getMembers()).hasSize(3).allSatisfy(m -> assertThat(m.healthy()).isTrue());

    Map<String, String> firstUid = new HashMap<>();
    client.pods().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, "secure").list().getItems()
        .forEach(p -> firstUid.put(p.getMetadata().getName(), p.getMetadata().getUid()));
    clock.advance(Duration.ofHours(17));
    Runnable atMostOnePodMissing = () -> assertThat(client.pods().inNamespace(CLUSTER_NS)
        .withLabel(MemberNames.LABEL_CLUSTER, "secure").list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).count())
        .as("running members during the roll").isGreaterThanOrEqualTo(2);
    reconcileUntil(reconciler, kubelet, "renewed certificates rolled", k -> k.getStatus().getUpgrade() == null
        && client.pods().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, "secure").list().getItems().stream()
            .allMatch(p -> !p.getMetadata().getUid().equals(firstUid.get(p.getMetadata().getName())))
        && k.getStatus().getPhase() == Phase.Running, atMostOnePodMissing);
    assertThat(members.maxVotersDown).as("one member at a time").isEqualTo(1);
    assertThat(client.v1().events().inNamespace(CLUSTER_NS).list().getItems()).extracting(e -> e.getReason())
        .contains("CertificateIssued", "CertificateRollStarted", "CertificatesRolled");

    KVCluster bumped = current();
    bumped.getSpec().setVersion("1.1.0");
    client.resource(bumped).update();
    reconcileUntil(reconciler, kubelet, "upgraded with TLS", k -> k.getStatus().getUpgrade() == null
        && "1.1.0".equals(k.getStatus().getVersion()), atMostOnePodMissing);
    assertThat(client.pods().inNamespace(CLUSTER_NS).withName("secure-0").get().getSpec().getContainers().getFirst().getArgs())
        .contains("--peer-client-cert-auth");
  }
}
