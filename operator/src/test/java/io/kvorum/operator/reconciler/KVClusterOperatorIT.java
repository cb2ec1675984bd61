package io.kvorum.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.KVClusterSpec;
import io.kvorum.operator.crd.KVClusterStatus;
import io.kvorum.operator.crd.KVClusterStatus.Phase;
import io.kvorum.operator.crd.MemberStatus;
import io.kvorum.operator.crd.UpgradeStatus;
import io.kvorum.operator.testing.FakeKubelet;
import io.kvorum.operator.testing.FakeMemberClient;
import io.kvorum.operator.testing.FakeClusters;
import io.kvorum.operator.testing.FakeMemberClientProducer;
import io.kvorum.operator.crd.SnapshotStatus;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.util.function.Consumer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The whole operator (Quarkus, JOSDK, informers, dependents, status patches) against the Fabric8
 * mock API server in CRUD mode, with a fake kubelet and an in-memory Raft group behind the
 * MemberClient. The real kube-apiserver checks (schema validation, printer columns) are in
 * {@code KubeApiServerIT}.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true, setup = KVClusterOperatorIT.PreviousOperatorLeftAnUpgrade.class)
class KVClusterOperatorIT {

  static final Duration TIMEOUT = Duration.ofSeconds(90);

  @Inject
  KubernetesClient client;

  static final String NS = "kvorum-it";
  final FakeClusters clusters = FakeMemberClientProducer.CLUSTERS;
  static FakeKubelet kubelet;

  /** Polls, running the fake kubelet each time, until the condition holds or the time is up. */
  void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    if (kubelet == null) {
      kubelet = new FakeKubelet(client, clusters);
    }
    Instant deadline = Instant.now().plus(TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      kubelet.sync(NS);
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("not within " + TIMEOUT.toSeconds() + "s: " + what);
  }

  KVCluster get(String namespace, String name) {
    return client.resources(KVCluster.class).inNamespace(namespace).withName(name).get();
  }

  static KVCluster cluster(String namespace, String name, String version) {
    KVCluster kvc = new KVCluster();
    kvc.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    KVClusterSpec spec = new KVClusterSpec();
    spec.setReplicas(3);
    spec.setVersion(version);
    kvc.setSpec(spec);
    return kvc;
  }

  @Test
  void theCrdIsInstalledWithItsPrinterColumns() {
    var crd = client.apiextensions().v1().customResourceDefinitions().withName("kvclusters.kvorum.io").get();
    assertThat(crd).isNotNull();
    assertThat(crd.getSpec().getVersions().getFirst().getAdditionalPrinterColumns()).extracting(c -> c.getName())
        .containsExactly("VERSION", "TARGET", "READY", "PHASE", "LEADER", "AGE");
  }

  @Test
  void createsDependentsAndReportsStatus() throws InterruptedException {
    String ns = NS;
    client.resource(cluster(ns, "alpha", "1.0.0")).create();

    eventually("services, budget, pods and volumes exist", () ->
        client.services().inNamespace(ns).withName("alpha-peer").get() != null
            && client.services().inNamespace(ns).withName("alpha-client").get() != null
            && client.policy().v1().podDisruptionBudget().inNamespace(ns).withName("alpha-budget").get() != null
            && client.pods().inNamespace(ns).withLabel(MemberNames.LABEL_CLUSTER, "alpha").list().getItems().size() == 3);
    Service peer = client.services().inNamespace(ns).withName("alpha-peer").get();
    assertThat(peer.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(peer.getSpec().getPublishNotReadyAddresses()).isTrue();
    assertThat(peer.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("alpha"));
    PodDisruptionBudget budget = client.policy().v1().podDisruptionBudget().inNamespace(ns).withName("alpha-budget").get();
    assertThat(budget.getSpec().getMinAvailable().getIntVal()).isEqualTo(2);
    assertThat(client.persistentVolumeClaims().inNamespace(ns).withLabel(MemberNames.LABEL_CLUSTER, "alpha").list().getItems()).hasSize(3);

    eventually("Running with 3/3", () -> {
      KVClusterStatus s = get(ns, "alpha").getStatus();
      return s != null && s.getPhase() == Phase.Running && "3/3".equals(s.getReady());
    });
    KVClusterStatus status = get(ns, "alpha").getStatus();
    assertThat(status.getVersion()).isEqualTo("1.0.0");
    assertThat(status.getLeader()).startsWith("alpha-");
    assertThat(status.getObservedGeneration()).isEqualTo(get(ns, "alpha").getMetadata().getGeneration());
    assertThat(status.getConditions()).extracting(c -> c.getType() + "=" + c.getStatus())
        .contains("Available=True", "Progressing=False", "Degraded=False");
  }

  /**
   * What a previous operator process left behind: a KVCluster mid-upgrade (beta-0 already
   * replaced, recorded in status.upgrade, snapshot taken) and the members' volumes; its pods
   * are gone with the node they ran on. The operator under test starts on top of it.
   */
  public static class PreviousOperatorLeftAnUpgrade implements Consumer<KubernetesServer> {
    @Override
    public void accept(KubernetesServer server) {
      KubernetesClient c = server.getClient();
      KVCluster kvc = cluster(NS, "beta", "1.1.0");
      KVClusterStatus status = new KVClusterStatus();
      status.setPhase(Phase.Upgrading);
      status.setVersion("1.0.0");
      status.setTargetVersion("1.1.0");
      status.setMembers(List.of(
          new MemberStatus("beta-0", "a001", "beta-0", "1.1.0", true, false, false, 10L),
          new MemberStatus("beta-1", "a002", "beta-1", "1.0.0", true, true, false, 10L),
          new MemberStatus("beta-2", "a003", "beta-2", "1.0.0", true, false, false, 10L)));
      status.setUpgrade(new UpgradeStatus("1.0.0", "1.1.0", UpgradeStatus.Step.ReplaceMember, null, null, List.of("beta-0"),
          Instant.now().minusSeconds(60).toString(), "beta-0 done"));
      status.setLastSnapshot(new SnapshotStatus(NS + "/beta/beta-x.db", 5L, 100L, "ab", Instant.now().minusSeconds(50).toString(), "beta-1"));
      kvc.setStatus(status);
      kvc.getMetadata().setUid("uid-beta");
      c.resource(kvc).create();
      for (int n = 0; n < 3; n++) {
        c.resource(MemberPvc.desired(kvc, n)).create();
      }
    }
  }

  @Test
  void resumesAnUpgradeFromStatusAfterARestart() throws InterruptedException {
    FakeMemberClient beta = clusters.group("beta");
    eventually("upgrade finished", () -> {
      KVClusterStatus s = get(NS, "beta").getStatus();
      return s != null && s.getUpgrade() == null && "1.1.0".equals(s.getVersion());
    });
    assertThat(beta.calls("stop beta-0")).as("the replaced member is not replaced again").isEmpty();
    assertThat(beta.calls("start beta-0 ")).as("beta-0 comes back at the target").containsOnly("start beta-0 1.1.0");
    // beta-1 and beta-2 come back at 1.0.0 and are then replaced; a pod that has not started
    // yet counts as the unhealthy member and is replaced first, without a stop of its own.
    assertThat(beta.calls("stop beta-")).hasSizeBetween(1, 2).doesNotHaveDuplicates();
    assertThat(beta.calls("start beta-1 1.1.0")).isNotEmpty();
    assertThat(beta.calls("start beta-2 1.1.0")).isNotEmpty();
    assertThat(beta.calls("snapshot")).as("the recorded snapshot counts; no second one").isEmpty();
    assertThat(client.pods().inNamespace(NS).withLabel(MemberNames.LABEL_CLUSTER, "beta").list().getItems())
        .hasSize(3)
        .allSatisfy(p -> assertThat(p.getMetadata().getLabels()).containsEntry(MemberNames.LABEL_VERSION, "1.1.0"));
  }
}
