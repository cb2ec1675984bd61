package io.kvorum.e2e;

import static io.kvorum.e2e.ClusterView.words;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The user's flow, in the order a user goes through it: helm install the operator, apply a
 * 3-member KVCluster at version A and use it with etcdctl, bump spec.version to B under a write
 * load, try to skip a minor (refused), scale 3 -> 5 -> 3 under load, delete the cluster. Each
 * step needs the one before, so they run in order on one cluster in a namespace of their own
 * ({@value #NAMESPACE}, recreated at the start). The orders are the flows' numbers in the issue;
 * flow 4 (operator killed mid-upgrade) is in {@link UpgradeChaosE2E}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorFlowE2E {
  static final String NAMESPACE = "kvorum-e2e";
  static final String CLUSTER = "flow";

  private LocalKube kube;
  private ClusterView cluster;

  @BeforeAll
  void freshNamespace() {
    kube = LocalKube.prepare();
    cluster = new ClusterView(kube, NAMESPACE, CLUSTER);
    kube.freshNamespace(NAMESPACE);
  }

  @AfterAll
  void namespaceRemoved() {
    // PVCs kept by the Retain policy go with the namespace; their volumes return to the pool
    kube.kubectl("delete", "namespace", NAMESPACE, "--wait=false");
  }

  @Test
  @Order(1)
  void helmInstalledOperatorBecomesReady() {
    kube.installOperator();
    assertThat(kube.jsonpath(LocalKube.OPERATOR_NAMESPACE, "deploy/" + LocalKube.OPERATOR_RELEASE,
        ".spec.template.spec.containers[0].image")).isEqualTo("kvorum/operator:" + kube.versionA);
  }

  @Test
  @Order(2)
  void threeMemberClusterBecomesAvailableAndServesEtcdctl() {
    kube.apply(NAMESPACE, SpecValidationE2E.cluster(CLUSTER, 3, kube.versionA)).orFail();

    cluster.waitUntil(Duration.ofMinutes(10), "KVCluster " + CLUSTER + " Available", cluster::available);

    assertThat(cluster.field(".status.ready")).isEqualTo("3/3");
    assertThat(words(cluster.field(".status.members[*].serverVersion")))
        .containsExactly(kube.versionA, kube.versionA, kube.versionA);
    assertThat(cluster.field(".status.version")).isEqualTo(kube.versionA);

    String service = cluster.clientService();
    kube.etcdctl(service, "put", "e2e/greeting", "hello").orFail();
    for (String ip : cluster.podIps()) {
      // a linearizable read on each member: all three agree on what the Service took
      assertThat(kube.etcdctl(ip + ":2379", "get", "e2e/greeting", "--print-value-only").orFail().strip())
          .as("value read from member %s", ip).isEqualTo("hello");
    }
    assertThat(kube.etcdctl(service, "member", "list").orFail().lines().count()).isEqualTo(3);
  }

  @Test
  @Order(3)
  void upgradeToTheNextMinorUnderLoadLosesNoAcknowledgedWrite() throws Exception {
    String leaderBefore = cluster.field(".status.leader");
    Map<String, Instant> createdBefore = cluster.podCreationTimes();
    assertThat(createdBefore).hasSize(3);

    WriteLoad load = WriteLoad.start(kube, cluster.clientService(), "e2e/upgrade/");
    LocalKube.sleep(Duration.ofSeconds(5));
    cluster.patchSpec("{\"version\":\"" + kube.versionB + "\"}");

    UpgradeObserver observer = new UpgradeObserver();
    cluster.waitUntil(Duration.ofMinutes(20), "status.version " + kube.versionB,
        () -> observer.sample() && kube.versionB.equals(cluster.field(".status.version")));
    observer.sample();
    cluster.assertNoAcknowledgedWriteLost(load, "the upgrade");

    assertThat(observer.maxMembersDown).as("members not Ready at the same time").isLessThanOrEqualTo(1);
    assertThat(observer.versionMovedEarly).as("status.version became %s while a member still ran %s",
        kube.versionB, kube.versionA).isFalse();
    Map<String, Instant> createdAfter = cluster.podCreationTimes();
    assertThat(createdAfter.keySet()).isEqualTo(createdBefore.keySet());
    createdAfter.forEach((pod, at) -> assertThat(at).as("pod %s replaced", pod).isAfter(createdBefore.get(pod)));
    Instant snapshot = Instant.parse(cluster.field(".status.lastSnapshot.time"));
    assertThat(snapshot).as("snapshot time vs first replaced pod")
        .isBefore(createdAfter.values().stream().min(Instant::compareTo).orElseThrow());
    String lastReplaced = createdAfter.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    assertThat(leaderBefore).as("the leader before the upgrade (%s) is replaced last", leaderBefore)
        .contains(lastReplaced);
    assertThat(words(cluster.field(".status.members[*].serverVersion"))).containsOnly(kube.versionB);
  }

  @Test
  @Order(5)
  void skippingAMinorIsRefusedWithAConditionAndAnEventAndTouchesNothing() {
    String running = cluster.field(".status.version");
    String[] v = running.split("\\.");
    String skew = v[0] + "." + (Integer.parseInt(v[1]) + 2) + ".0";
    Map<String, Instant> createdBefore = cluster.podCreationTimes();

    cluster.patchSpec("{\"version\":\"" + skew + "\"}");

    cluster.waitUntil(Duration.ofMinutes(2), "Progressing=False reason UpgradeRefused for " + running + " -> " + skew,
        () -> "UpgradeRefused".equals(cluster.condition("Progressing", "reason")));
    assertThat(cluster.condition("Progressing", "status")).isEqualTo("False");
    assertThat(kube.kubectl("-n", NAMESPACE, "get", "events", "--field-selector",
        "involvedObject.name=" + CLUSTER + ",reason=UpgradeRefused,type=Warning", "-o", "name").orFail()).isNotBlank();
    LocalKube.sleep(Duration.ofSeconds(10));
    assertThat(cluster.podCreationTimes()).as("pods after a refused upgrade").isEqualTo(createdBefore);
    assertThat(cluster.field(".status.version")).isEqualTo(running);

    // back to the running version: nothing to do, the cluster is Available again
    cluster.patchSpec("{\"version\":\"" + running + "\"}");
    cluster.waitUntil(Duration.ofMinutes(2), "Progressing no longer UpgradeRefused",
        () -> !"UpgradeRefused".equals(cluster.condition("Progressing", "reason")));
    assertThat(cluster.podCreationTimes()).isEqualTo(createdBefore);
  }

  /**
   * Flow 6: 3 -> 5 -> 3 while the write load runs. Growing, each new member joins as a learner
   * and is promoted once caught up (LearnerAdded before MemberPromoted, per member); shrinking,
   * the highest members are drained (out of the client Service), leave the member list, and
   * their pods and volumes go (whenScaled: Delete, the default). No acknowledged write is lost either way.
   */
  @Test
  @Order(6)
  void scalingToFiveAndBackUnderLoadAddsLearnersAndLosesNoAcknowledgedWrite() throws Exception {
    Map<String, Instant> original = cluster.podCreationTimes();
    WriteLoad load = WriteLoad.start(kube, cluster.clientService(), "e2e/scale/");
    LocalKube.sleep(Duration.ofSeconds(5));

    cluster.patchSpec("{\"replicas\":5}");
    cluster.waitUntil(Duration.ofMinutes(12), "5 voters, ready 5/5", () -> "5/5".equals(cluster.field(".status.ready"))
        && words(cluster.field(".status.members[*].learner")).stream().noneMatch("true"::equals)
        && words(cluster.field(".status.members[*].name")).size() == 5);
    assertThat(kube.etcdctl(cluster.clientService(), "member", "list").orFail().lines().filter(l -> l.contains("started")))
        .as("etcdctl member list at 5").hasSize(5).noneMatch(l -> l.contains("true"));
    for (String member : List.of(CLUSTER + "-3", CLUSTER + "-4")) {
      List<ClusterView.Event> added = mentioning(cluster.events("LearnerAdded"), member + " ");
      List<ClusterView.Event> promoted = mentioning(cluster.events("MemberPromoted"), member + " ");
      assertThat(added).as("LearnerAdded events for %s", member).hasSize(1);
      // not hasSize(1): the operator records the promotion twice (the planner's "caught up and
      // becomes a voter" and the executor's "promoted to voter"), both at the same second
      assertThat(promoted).as("MemberPromoted events for %s", member).isNotEmpty();
      assertThat(added.getFirst().time()).as("%s added as learner before its promotion", member)
          .isBeforeOrEqualTo(promoted.getFirst().time());
    }

    cluster.patchSpec("{\"replicas\":3}");
    cluster.waitUntil(Duration.ofMinutes(8), "3 members, ready 3/3, pods -3 and -4 gone",
        () -> "3/3".equals(cluster.field(".status.ready")) && cluster.podCreationTimes().size() == 3
            && words(cluster.field(".status.members[*].name")).size() == 3);
    cluster.assertNoAcknowledgedWriteLost(load, "scaling 3 -> 5 -> 3");

    assertThat(kube.etcdctl(cluster.clientService(), "member", "list").orFail().lines().filter(l -> !l.isBlank()))
        .as("etcdctl member list at 3").hasSize(3);
    assertThat(mentioning(cluster.events("MemberRemoved"), CLUSTER + "-")).extracting(e -> e.message().split(" ")[0])
        .as("members removed").containsExactlyInAnyOrder(CLUSTER + "-3", CLUSTER + "-4");
    for (String member : List.of(CLUSTER + "-3", CLUSTER + "-4")) {
      List<ClusterView.Event> drained = mentioning(cluster.events("MemberDraining"), member + " ");
      List<ClusterView.Event> removed = mentioning(cluster.events("MemberRemoved"), member + " ");
      assertThat(drained).as("MemberDraining events for %s", member).isNotEmpty();
      assertThat(drained.getFirst().time()).as("%s out of the client Service before it is removed", member)
          .isBeforeOrEqualTo(removed.getFirst().time());
    }
    assertThat(cluster.podCreationTimes()).as("the original members are untouched").isEqualTo(original);
    cluster.waitUntil(Duration.ofMinutes(2), "volumes of -3 and -4 deleted (whenScaled: Delete)",
        () -> kube.kubectl("-n", NAMESPACE, "get", "pvc", "-l", cluster.members(), "-o", "name").out()
            .lines().noneMatch(l -> l.endsWith("-3") || l.endsWith("-4")));
  }

  @Test
  @Order(7)
  void deletingTheClusterRemovesWhatItOwned() {
    kube.kubectl("-n", NAMESPACE, "delete", "kvcluster", CLUSTER, "--wait=false").orFail();

    cluster.waitUntil(Duration.ofMinutes(5), "pods, Services and PodDisruptionBudget of " + CLUSTER + " gone",
        () -> kube.kubectl("-n", NAMESPACE, "get", "kvcluster,pods,services,poddisruptionbudgets", "-l", cluster.members(),
            "-o", "name").out().isBlank() && !kube.kubectl("-n", NAMESPACE, "get", "kvcluster", CLUSTER).ok());
    // storage.retention.whenDeleted defaults to Retain: the data outlives the cluster, as a StatefulSet's does
    System.out.println("  PVCs kept (Retain): " + kube.kubectl("-n", NAMESPACE, "get", "pvc", "-o", "name").out().strip());
  }

  private static List<ClusterView.Event> mentioning(List<ClusterView.Event> events, String text) {
    return events.stream().filter(e -> e.message().startsWith(text)).toList();
  }

  /** What the API showed while the upgrade rolled, sampled each time the wait polls. */
  private final class UpgradeObserver {
    int maxMembersDown;
    boolean versionMovedEarly;

    /** Always true: a sample is taken for its side effects on the observations. */
    boolean sample() {
      List<String> ready = words(kube.kubectl("-n", NAMESPACE, "get", "pods", "-l", cluster.members(), "-o",
          "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}").out());
      long up = ready.stream().filter("True"::equals).count();
      maxMembersDown = Math.max(maxMembersDown, (int) (3 - up));
      String version = cluster.field(".status.version");
      List<String> images = words(kube.kubectl("-n", NAMESPACE, "get", "pods", "-l", cluster.members(), "-o",
          "jsonpath={.items[*].spec.containers[0].image}").out());
      if (kube.versionB.equals(version) && (images.size() < 3 || images.stream().anyMatch(i -> !i.endsWith(":" + kube.versionB)))) {
        versionMovedEarly = true;
      }
      return true;
    }
  }
}
