package io.kvorum.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * load, try to skip a minor (refused), delete the cluster. Each step needs the one before, so they run in order on one
 * cluster in a namespace of their own ({@value #NAMESPACE}, recreated at the start).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorFlowE2E {
  static final String NAMESPACE = "kvorum-e2e";
  static final String CLUSTER = "flow";
  static final String MEMBERS = "app.kubernetes.io/instance=" + CLUSTER;

  private LocalKube kube;

  @BeforeAll
  void freshNamespace() {
    kube = LocalKube.prepare();
    if (kube.kubectl("get", "namespace", NAMESPACE).ok()) {
      kube.kubectl("-n", NAMESPACE, "delete", "kvcluster", "--all", "--wait=false");
      kube.run(Duration.ofMinutes(5), "kubectl", "delete", "namespace", NAMESPACE, "--timeout=280s").orFail();
    }
    kube.kubectl("create", "namespace", NAMESPACE).orFail();
  }

  @AfterAll
  void namespaceRemoved() {
    // PVCs kept by the Retain policy go with the namespace; their volumes return to the pool
    kube.kubectl("delete", "namespace", NAMESPACE, "--wait=false");
  }

  @Test
  @Order(1)
  void helmInstalledOperatorBecomesReady() {
    kube.run(Duration.ofSeconds(60), "kubectl", "apply", "--server-side", "--force-conflicts", "-f",
        kube.repo.resolve("helm/kvorum-operator/crds").toString()).orFail();
    Cli.Result install = kube.helm(Duration.ofMinutes(6), "upgrade", "--install", LocalKube.OPERATOR_RELEASE,
        kube.repo.resolve("helm/kvorum-operator").toString(), "-n", LocalKube.OPERATOR_NAMESPACE,
        "--create-namespace", "--set", "image.repository=kvorum/operator", "--set", "image.tag=" + kube.versionA,
        "--set", "image.pullPolicy=Never", "--set-string", "podAnnotations.kvorum-e2e/image-id=" + kube.imageId("kvorum/operator:" + kube.versionA),
        "--wait", "--timeout", "5m");
    assertThat(install.ok()).as("helm install failed:\n%s%s\n%s", install.err(), install.out(),
        kube.operatorDiagnostics().collect()).isTrue();

    kube.waitUntil(Duration.ofMinutes(3), "operator deployment Available",
        () -> "True".equals(kube.jsonpath(LocalKube.OPERATOR_NAMESPACE, "deploy/" + LocalKube.OPERATOR_RELEASE,
            ".status.conditions[?(@.type==\"Available\")].status")),
        kube.operatorDiagnostics());
    assertThat(kube.jsonpath(LocalKube.OPERATOR_NAMESPACE, "deploy/" + LocalKube.OPERATOR_RELEASE,
        ".spec.template.spec.containers[0].image")).isEqualTo("kvorum/operator:" + kube.versionA);
  }

  @Test
  @Order(2)
  void threeMemberClusterBecomesAvailableAndServesEtcdctl() {
    kube.apply(NAMESPACE, SpecValidationE2E.cluster(CLUSTER, 3, kube.versionA)).orFail();

    kube.waitUntil(Duration.ofMinutes(10), "KVCluster " + CLUSTER + " Available", this::available,
        kube.clusterDiagnostics(NAMESPACE, CLUSTER));

    assertThat(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.ready")).isEqualTo("3/3");
    assertThat(words(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.members[*].serverVersion")))
        .containsExactly(kube.versionA, kube.versionA, kube.versionA);
    assertThat(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.version")).isEqualTo(kube.versionA);

    String service = clientService();
    kube.etcdctl(service, "put", "e2e/greeting", "hello").orFail();
    for (String ip : podIps()) {
      // a linearizable read on each member: all three agree on what the Service took
      assertThat(kube.etcdctl(ip + ":2379", "get", "e2e/greeting", "--print-value-only").orFail().strip())
          .as("value read from member %s", ip).isEqualTo("hello");
    }
    assertThat(kube.etcdctl(service, "member", "list").orFail().lines().count()).isEqualTo(3);
  }

  @Test
  @Order(3)
  void upgradeToTheNextMinorUnderLoadLosesNoAcknowledgedWrite() throws Exception {
    String leaderBefore = kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.leader");
    Map<String, Instant> createdBefore = podCreationTimes();
    assertThat(createdBefore).hasSize(3);

    WriteLoad load = new WriteLoad(kube, clientService(), "e2e/load/");
    Thread writer = Thread.ofPlatform().name("write-load").start(load);
    try {
      LocalKube.sleep(Duration.ofSeconds(5));
      kube.kubectl("-n", NAMESPACE, "patch", "kvcluster", CLUSTER, "--type", "merge",
          "-p", "{\"spec\":{\"version\":\"" + kube.versionB + "\"}}").orFail();

      UpgradeObserver observer = new UpgradeObserver();
      kube.waitUntil(Duration.ofMinutes(20), "status.version " + kube.versionB,
          () -> observer.sample() && kube.versionB.equals(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.version")),
          kube.clusterDiagnostics(NAMESPACE, CLUSTER));
      observer.sample();

      assertThat(observer.maxMembersDown).as("members not Ready at the same time").isLessThanOrEqualTo(1);
      assertThat(observer.versionMovedEarly).as("status.version became %s while a member still ran %s",
          kube.versionB, kube.versionA).isFalse();
      Map<String, Instant> createdAfter = podCreationTimes();
      assertThat(createdAfter.keySet()).isEqualTo(createdBefore.keySet());
      createdAfter.forEach((pod, at) -> assertThat(at).as("pod %s replaced", pod).isAfter(createdBefore.get(pod)));
      Instant snapshot = Instant.parse(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.lastSnapshot.time"));
      assertThat(snapshot).as("snapshot time vs first replaced pod")
          .isBefore(createdAfter.values().stream().min(Instant::compareTo).orElseThrow());
      String lastReplaced = createdAfter.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
      assertThat(leaderBefore).as("the leader before the upgrade (%s) is replaced last", leaderBefore)
          .contains(lastReplaced);
      assertThat(words(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.members[*].serverVersion")))
          .containsOnly(kube.versionB);
    } finally {
      load.stop();
      writer.join(Duration.ofSeconds(30));
    }

    Set<String> stored = new TreeSet<>(kube.etcdctl(clientService(), "get", "e2e/load/", "--prefix", "--keys-only")
        .orFail().lines().filter(l -> !l.isBlank()).toList());
    System.out.printf("  write load: %d acknowledged, %d failed requests%n", load.acknowledged().size(), load.failures());
    assertThat(load.acknowledged()).as("writes acknowledged during the upgrade").isNotEmpty();
    assertThat(stored).as("acknowledged writes present after the upgrade").containsAll(load.acknowledged());
  }

  @Test
  @Order(5)
  void skippingAMinorIsRefusedWithAConditionAndAnEventAndTouchesNothing() {
    String running = kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.version");
    String[] v = running.split("\\.");
    String skew = v[0] + "." + (Integer.parseInt(v[1]) + 2) + ".0";
    Map<String, Instant> createdBefore = podCreationTimes();

    kube.kubectl("-n", NAMESPACE, "patch", "kvcluster", CLUSTER, "--type", "merge",
        "-p", "{\"spec\":{\"version\":\"" + skew + "\"}}").orFail();

    kube.waitUntil(Duration.ofMinutes(2), "Progressing=False reason UpgradeRefused for " + running + " -> " + skew,
        () -> "UpgradeRefused".equals(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER,
            ".status.conditions[?(@.type==\"Progressing\")].reason")),
        kube.clusterDiagnostics(NAMESPACE, CLUSTER));
    assertThat(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.conditions[?(@.type==\"Progressing\")].status"))
        .isEqualTo("False");
    assertThat(kube.kubectl("-n", NAMESPACE, "get", "events", "--field-selector",
        "involvedObject.name=" + CLUSTER + ",reason=UpgradeRefused,type=Warning", "-o", "name").orFail()).isNotBlank();
    LocalKube.sleep(Duration.ofSeconds(10));
    assertThat(podCreationTimes()).as("pods after a refused upgrade").isEqualTo(createdBefore);
    assertThat(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.version")).isEqualTo(running);

    // back to the running version: nothing to do, the cluster is Available again
    kube.kubectl("-n", NAMESPACE, "patch", "kvcluster", CLUSTER, "--type", "merge",
        "-p", "{\"spec\":{\"version\":\"" + running + "\"}}").orFail();
    kube.waitUntil(Duration.ofMinutes(2), "Progressing no longer UpgradeRefused",
        () -> !"UpgradeRefused".equals(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER,
            ".status.conditions[?(@.type==\"Progressing\")].reason")),
        kube.clusterDiagnostics(NAMESPACE, CLUSTER));
    assertThat(podCreationTimes()).isEqualTo(createdBefore);
  }

  @Test
  @Order(7)
  void deletingTheClusterRemovesWhatItOwned() {
    kube.kubectl("-n", NAMESPACE, "delete", "kvcluster", CLUSTER, "--wait=false").orFail();

    kube.waitUntil(Duration.ofMinutes(5), "pods, Services and PodDisruptionBudget of " + CLUSTER + " gone",
        () -> kube.kubectl("-n", NAMESPACE, "get", "kvcluster,pods,services,poddisruptionbudgets", "-l", MEMBERS,
            "-o", "name").out().isBlank() && !kube.kubectl("-n", NAMESPACE, "get", "kvcluster", CLUSTER).ok(),
        kube.clusterDiagnostics(NAMESPACE, CLUSTER));
    // storage.retention.whenDeleted defaults to Retain: the data outlives the cluster, as a StatefulSet's does
    System.out.println("  PVCs kept (Retain): " + kube.kubectl("-n", NAMESPACE, "get", "pvc", "-o", "name").out().strip());
  }

  private boolean available() {
    return "True".equals(kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.conditions[?(@.type==\"Available\")].status"));
  }

  private String clientService() {
    return kube.jsonpath(NAMESPACE, "service/" + CLUSTER + "-client", ".spec.clusterIP") + ":2379";
  }

  private List<String> podIps() {
    return words(kube.kubectl("-n", NAMESPACE, "get", "pods", "-l", MEMBERS, "-o", "jsonpath={.items[*].status.podIP}").orFail());
  }

  private Map<String, Instant> podCreationTimes() {
    Map<String, Instant> times = new HashMap<>();
    String out = kube.kubectl("-n", NAMESPACE, "get", "pods", "-l", MEMBERS, "-o",
        "jsonpath={range .items[*]}{.metadata.name} {.metadata.creationTimestamp}{\"\\n\"}{end}").orFail();
    out.lines().filter(l -> !l.isBlank()).map(l -> l.split(" ")).forEach(f -> times.put(f[0], Instant.parse(f[1])));
    return times;
  }

  static List<String> words(String s) {
    return Arrays.stream(s.strip().split("\\s+")).filter(w -> !w.isEmpty()).toList();
  }

  /** What the API showed while the upgrade rolled, sampled each time the wait polls. */
  private final class UpgradeObserver {
    int maxMembersDown;
    boolean versionMovedEarly;

    /** Always true: a sample is taken for its side effects on the observations. */
    boolean sample() {
      List<String> ready = words(kube.kubectl("-n", NAMESPACE, "get", "pods", "-l", MEMBERS, "-o",
          "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}").out());
      long up = ready.stream().filter("True"::equals).count();
      maxMembersDown = Math.max(maxMembersDown, (int) (3 - up));
      String version = kube.jsonpath(NAMESPACE, "kvcluster/" + CLUSTER, ".status.version");
      List<String> images = words(kube.kubectl("-n", NAMESPACE, "get", "pods", "-l", MEMBERS, "-o",
          "jsonpath={.items[*].spec.containers[0].image}").out());
      if (kube.versionB.equals(version) && (images.size() < 3 || images.stream().anyMatch(i -> !i.endsWith(":" + kube.versionB)))) {
        versionMovedEarly = true;
      }
      return true;
    }
  }

  /** Sequential etcdctl puts of unique keys; a key counts once etcdctl reported it acknowledged. */
  static final class WriteLoad implements Runnable {
    private final LocalKube kube;
    private final String endpoint;
    private final String prefix;
    private final List<String> acknowledged = new ArrayList<>();
    private volatile boolean stopped;
    private int failures;

    WriteLoad(LocalKube kube, String endpoint, String prefix) {
      this.kube = kube;
      this.endpoint = endpoint;
      this.prefix = prefix;
    }

    @Override
    public void run() {
      for (int i = 0; !stopped && i < 100_000; i++) {
        String key = prefix + String.format("%06d", i);
        if (kube.etcdctl(endpoint, "put", key, "v" + i).ok()) {
          synchronized (this) {
            acknowledged.add(key);
          }
        } else {
          synchronized (this) {
            failures++;
          }
        }
      }
    }

    void stop() {
      stopped = true;
    }

    synchronized List<String> acknowledged() {
      return List.copyOf(acknowledged);
    }

    synchronized int failures() {
      return failures;
    }
  }
}
