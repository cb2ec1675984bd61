package io.kvorum.e2e;

import static io.kvorum.e2e.ClusterView.words;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Flow 4 of the e2e issue and the operator chaos of the robustness issue, in one rolling upgrade
 * A -> B of a 3-member cluster under the write load. The upgrade runs with
 * {@code pauseAfterEachMember}, so the test decides exactly where each fault lands instead of
 * racing the operator:
 *
 * <pre>
 *   Paused after the 1st member      the 1st member's container is SIGKILLed (ctr task kill),
 *                                    then the upgrade is resumed at once: the operator must wait
 *                                    for that member before it takes the 2nd one down
 *   ReplaceMember of the 2nd member  the operator pod is force-deleted; the Deployment's new pod
 *                                    takes the lease over and resumes from status.upgrade
 *   Paused after the 2nd member      the 2nd member's pod is force-deleted, then resumed: the
 *                                    operator recreates it at B (not A) and waits for it before
 *                                    the leader goes
 * </pre>
 *
 * The outcome is checked from the API's own records: the upgrade completes, every member was
 * deleted by the upgrade exactly once (PodDeleted Events), the member replaced before the
 * operator died was not touched again, at most one member process was down at any sample (so the
 * cluster kept its quorum), and every acknowledged write is still there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpgradeChaosE2E {
  static final String NAMESPACE = "kvorum-chaos";
  static final String CLUSTER = "chaos";

  private LocalKube kube;
  private ClusterView cluster;
  private int maxMembersDown;

  @BeforeAll
  void operatorAndFreshNamespace() {
    kube = LocalKube.prepare();
    cluster = new ClusterView(kube, NAMESPACE, CLUSTER);
    kube.installOperator();
    kube.freshNamespace(NAMESPACE);
  }

  @AfterAll
  void namespaceRemoved() {
    kube.kubectl("delete", "namespace", NAMESPACE, "--wait=false");
  }

  @Test
  void upgradeCompletesAfterAKilledContainerAKilledOperatorAndAKilledMemberPod() throws Exception {
    kube.apply(NAMESPACE, SpecValidationE2E.cluster(CLUSTER, 3, kube.versionA) + """
          upgrade:
            pauseAfterEachMember: true
            healthTimeoutSeconds: 600
        """).orFail();
    cluster.waitUntil(Duration.ofMinutes(10), "KVCluster " + CLUSTER + " Available", cluster::available);

    WriteLoad load = WriteLoad.start(kube, cluster.clientService(), "e2e/chaos/");
    LocalKube.sleep(Duration.ofSeconds(5));
    cluster.patchSpec("{\"version\":\"" + kube.versionB + "\"}");

    // 1. the first member's container, while the upgrade is paused after it
    awaitUpgrade("paused after the first member", () -> pausedAfter(1));
    String first = done().getFirst();
    Map<String, Instant> createdAtFirstPause = cluster.podCreationTimes();
    String container = cluster.containerIds().get(first).replaceFirst("^containerd://", "");
    kube.run(Duration.ofSeconds(30), "ctr", "task", "kill", "--signal", "SIGKILL", container).orFail();
    System.out.printf("  killed the container of %s (%s) at step Paused%n", first, container.substring(0, 12));
    resumeAfter(first);

    // 2. the operator, while it replaces the second member
    awaitUpgrade("the second member in progress", () -> {
      String member = cluster.field(".status.upgrade.member");
      return !member.isEmpty() && !member.equals(first);
    });
    String second = cluster.field(".status.upgrade.member");
    String operatorBefore = operatorPods().getFirst();
    kube.kubectl("-n", LocalKube.OPERATOR_NAMESPACE, "delete", "pod", operatorBefore, "--grace-period=0", "--force").orFail();
    System.out.printf("  killed the operator pod %s at step ReplaceMember of %s%n", operatorBefore, second);
    awaitUpgrade("a new operator pod Ready", () -> {
      String pods = kube.kubectl("-n", LocalKube.OPERATOR_NAMESPACE, "get", "pods", "-o",
          "jsonpath={range .items[*]}{.metadata.name} {.status.containerStatuses[0].ready}{\"\\n\"}{end}").out();
      return pods.lines().anyMatch(l -> l.endsWith(" true") && !l.startsWith(operatorBefore + " "));
    });

    // 3. the second member's pod, while the upgrade is paused after it
    awaitUpgrade("paused after the second member", () -> pausedAfter(2));
    assertThat(done()).as("members done after the operator restart").containsExactly(first, second);
    assertThat(cluster.podCreationTimes().get(first)).as("%s, replaced before the operator died, untouched since", first)
        .isEqualTo(createdAtFirstPause.get(first));
    kube.kubectl("-n", NAMESPACE, "delete", "pod", second, "--grace-period=0", "--force").orFail();
    System.out.printf("  killed the member pod %s at step Paused%n", second);
    resumeAfter(second);

    awaitUpgrade("status.version " + kube.versionB, () -> kube.versionB.equals(cluster.field(".status.version")));
    cluster.assertNoAcknowledgedWriteLost(load, "the upgrade with faults");

    assertThat(maxMembersDown).as("member processes down at the same time (quorum of 3 needs 2 up)").isLessThanOrEqualTo(1);
    assertThat(words(cluster.field(".status.members[*].serverVersion"))).containsOnly(kube.versionB).hasSize(3);
    assertThat(cluster.field(".status.upgrade")).as("status.upgrade once completed").isEmpty();
    assertThat(cluster.events("UpgradeCompleted")).hasSize(1);
    List<String> deletedForTheUpgrade = cluster.events("PodDeleted").stream()
        .filter(e -> e.message().endsWith(": upgrade to " + kube.versionB))
        .map(e -> e.message().split(" ")[2].replace(":", "")).toList();
    assertThat(deletedForTheUpgrade).as("pods the operator deleted for the upgrade (each member once)")
        .containsExactlyInAnyOrderElementsOf(cluster.podCreationTimes().keySet());
    assertThat(cluster.events("PodCreated").stream().map(ClusterView.Event::message)
        .filter(m -> m.startsWith("created pod " + second + " ")).toList())
        .as("pods the operator created for %s: its replacement, then after the kill, both at the target version", second)
        .containsExactly("created pod " + second + " at " + kube.versionB, "created pod " + second + " at " + kube.versionB);
    assertThat(cluster.restartCounts().get(first)).as("restarts of %s's container after the kill", first).isPositive();
  }

  /** Waits up to 15 minutes, sampling how many member processes are down on every poll. */
  private void awaitUpgrade(String what, BooleanSupplier condition) {
    cluster.waitUntil(Duration.ofMinutes(15), what, () -> {
      maxMembersDown = Math.max(maxMembersDown, cluster.membersDown(3));
      return condition.getAsBoolean();
    });
  }

  private boolean pausedAfter(int members) {
    return "Paused".equals(cluster.field(".status.upgrade.step")) && done().size() == members;
  }

  private List<String> done() {
    return words(cluster.field(".status.upgrade.doneMembers[*]"));
  }

  private void resumeAfter(String member) {
    kube.kubectl("-n", NAMESPACE, "annotate", "kvcluster", CLUSTER, "--overwrite", "kvorum.io/resume-upgrade=" + member).orFail();
  }

  private List<String> operatorPods() {
    return words(kube.kubectl("-n", LocalKube.OPERATOR_NAMESPACE, "get", "pods", "-o",
        "jsonpath={.items[*].metadata.name}").orFail());
  }
}
