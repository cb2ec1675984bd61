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

  KVCluster current() {
    return client.resources(KVCluster.class).inNamespace(CLUSTER_NS).withName("real").get();
  }

  @SuppressWarnings("unchecked")
  Context<KVCluster> context() {
    Context<KVCluster> ctx = mock(Context.class);
    when(ctx.getClient()).thenReturn(client);
    when(ctx.getSecondaryResources(Pod.class)).thenAnswer(i -> new HashSet<>(
        client.pods().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, "real").list().getItems()));
    when(ctx.getSecondaryResources(PersistentVolumeClaim.class)).thenAnswer(i -> new HashSet<>(
        client.persistentVolumeClaims().inNamespace(CLUSTER_NS).withLabel(MemberNames.LABEL_CLUSTER, "real").list().getItems()));
    return ctx;
  }

  void reconcileUntil(KVClusterReconciler reconciler, FakeKubelet kubelet, String what, Predicate<KVCluster> done) {
    for (int i = 0; i < 150; i++) {
      reconciler.reconcile(current(), context());
      kubelet.sync(CLUSTER_NS);
      if (done.test(current())) {
        return;
      }
    }
    throw new AssertionError("not reached: " + what + "; status " + current().getStatus());
  }

  @Test
  void createsAndUpgradesAClusterThroughTheRealApiServer() throws Exception {
    KVCluster kvc = new KVCluster();
    kvc.setMetadata(new ObjectMetaBuilder().withName("real").withNamespace(CLUSTER_NS).build());
    KVClusterSpec spec = new KVClusterSpec();
    spec.setReplicas(3);
    spec.setVersion("1.0.0");
    kvc.setSpec(spec);
    kvc = client.resource(kvc).create();
    for (HasMetadata dependent : List.<HasMetadata>of(
        new PeerServiceDependent().desired(kvc, null),
        new ClientServiceDependent().desired(kvc, null),
        new DisruptionBudgetDependent().desired(kvc, null))) {
      client.resource(dependent).create();
    }

    FakeMemberClient members = new FakeMemberClient();
    FakeKubelet kubelet = new FakeKubelet(client, members);
    KVClusterReconciler reconciler = new KVClusterReconciler(members,
        new OperatorSettings(true, backups, Duration.ofSeconds(1), Duration.ofSeconds(5)), Clock.systemUTC(),
        new SimpleMeterRegistry(), (primary, status, ctx) -> {
          KVCluster latest = current();
          latest.setStatus(status);
          client.resource(latest).updateStatus();
        });

    reconcileUntil(reconciler, kubelet, "Running", k -> k.getStatus() != null && k.getStatus().getPhase() == Phase.Running);
    assertThat(client.pods().inNamespace(CLUSTER_NS).list().getItems()).hasSize(3);
    assertThat(client.persistentVolumeClaims().inNamespace(CLUSTER_NS).list().getItems()).hasSize(3);
    assertThat(client.v1().events().inNamespace(CLUSTER_NS).list().getItems()).extracting(e -> e.getReason())
        .contains("MembersCreated", "ClusterCreated");

    KVCluster bumped = current();
    bumped.getSpec().setVersion("1.1.0");
    client.resource(bumped).update();
    reconcileUntil(reconciler, kubelet, "upgraded", k -> k.getStatus().getUpgrade() == null && "1.1.0".equals(k.getStatus().getVersion()));
    assertThat(members.calls("stop")).hasSize(3);
    assertThat(current().getStatus().getObservedGeneration()).isEqualTo(current().getMetadata().getGeneration());

    String leader = current().getStatus().getLeader();
    List<String> lines = env.kubectl("get", "kvc", "-n", CLUSTER_NS, "real");
    assertThat(lines.get(1).split("\\s+")).startsWith("real", "1.1.0", "1.1.0", "3/3", "Running", leader);
  }
}
