package io.kvorum.e2e;

import static io.kvorum.e2e.ClusterView.words;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * A KVCluster with {@code spec.tls.mode: Generated} on the local Kubernetes, in the order a user
 * goes: it comes up with https URLs and mutual TLS (etcdctl with the operator's client
 * certificate works, without one it is refused); a forced renewal of every certificate rolls
 * the members one at a time under a write load and loses no acknowledged write; then an
 * upgrade to the next minor, still over TLS. Namespace {@value #NAMESPACE}, recreated at the start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsClusterE2E {
  static final String NAMESPACE = "kvorum-e2e-tls";
  static final String CLUSTER = "secure";

  private LocalKube kube;
  private ClusterView cluster;
  /**
   * The operator's client certificate and key, copied once out of its Secret and used by every
   * test; deleted after the class. Static: an instance field gets a new directory for each test.
   */
  @TempDir static Path certs;

  @BeforeAll
  void freshNamespace() throws Exception {
    kube = LocalKube.prepare();
    cluster = new ClusterView(kube, NAMESPACE, CLUSTER);
    kube.freshNamespace(NAMESPACE);
  }

  @AfterAll
  void namespaceRemoved() {
    kube.kubectl("delete", "namespace", NAMESPACE, "--wait=false");
  }

  /** etcdctl with the operator's client certificate; pod IPs are in no certificate, so the server name is not checked. */
  Cli.Result etcdctl(String endpoint, String... args) {
    List<String> all = new ArrayList<>(List.of("--cacert", certs.resolve("ca.crt").toString(),
        "--cert", certs.resolve("tls.crt").toString(), "--key", certs.resolve("tls.key").toString(),
        "--insecure-skip-tls-verify"));
    all.addAll(List.of(args));
    return kube.etcdctl("https://" + endpoint, all.toArray(String[]::new));
  }

  void saveClientCertificate() throws Exception {
    for (String key : List.of("ca.crt", "tls.crt", "tls.key")) {
      String b64 = kube.jsonpath(NAMESPACE, "secret/" + CLUSTER + "-operator-tls", ".data." + key.replace(".", "\\."));
      Files.write(certs.resolve(key), Base64.getDecoder().decode(b64));
    }
  }

  @Test
  @Order(1)
  void operatorInstalled() {
    kube.installOperator();
  }

  @Test
  @Order(2)
  void aGeneratedTlsClusterComesUpWithMutualTls() throws Exception {
    kube.apply(NAMESPACE, """
        apiVersion: kvorum.io/v1alpha1
        kind: KVCluster
        metadata:
          name: %s
        spec:
          replicas: 3
          version: "%s"
          tls:
            mode: Generated
        """.formatted(CLUSTER, kube.versionA)).orFail();
    cluster.waitUntil(Duration.ofMinutes(10), "TLS KVCluster " + CLUSTER + " Available", cluster::available);

    assertThat(kube.kubectl("-n", NAMESPACE, "get", "secrets", "-o", "name").orFail().lines().toList())
        .contains("secret/" + CLUSTER + "-ca", "secret/" + CLUSTER + "-0-tls", "secret/" + CLUSTER + "-operator-tls");
    String args = kube.jsonpath(NAMESPACE, "pod/" + CLUSTER + "-0", ".spec.containers[0].args");
    assertThat(args).contains("--listen-client-urls=https://", "--peer-client-cert-auth", "--client-cert-auth",
        "--initial-advertise-peer-urls=https://" + CLUSTER + "-0." + CLUSTER + "-peer." + NAMESPACE + ".svc:2380");

    saveClientCertificate();
    etcdctl(cluster.clientService(), "put", "e2e/tls", "sealed").orFail();
    for (String ip : cluster.podIps()) {
      assertThat(etcdctl(ip + ":2379", "get", "e2e/tls", "--print-value-only").orFail().strip()).as("read on %s", ip)
          .isEqualTo("sealed");
    }
    assertThat(kube.etcdctl("https://" + cluster.clientService(), "--insecure-skip-tls-verify", "get", "e2e/tls").ok())
        .as("etcdctl without a client certificate is refused").isFalse();
    assertThat(kube.etcdctl(cluster.clientService(), "get", "e2e/tls").ok()).as("plaintext is refused").isFalse();
  }

  @Test
  @Order(3)
  void renewingEveryCertificateRollsOneMemberAtATimeWithoutLosingAWrite() throws Exception {
    Map<String, Instant> createdBefore = cluster.podCreationTimes();
    String certBefore = kube.jsonpath(NAMESPACE, "secret/" + CLUSTER + "-1-tls", ".data.tls\\.crt");
    WriteLoad load = WriteLoad.start("e2e/rotation/", (key, value) -> etcdctl(cluster.clientService(), "put", key, value));
    LocalKube.sleep(Duration.ofSeconds(5));

    // A certificate is due once it expires within renewBefore. With validity 2160h, renewBefore
    // 2159h59m makes every certificate older than a minute due: the user's "renew now". (2159h
    // made them due only an hour after issue, so nothing rolled within the wait.)
    Instant issued = Instant.parse(kube.jsonpath(NAMESPACE, "secret/" + CLUSTER + "-1-tls", ".metadata.creationTimestamp"));
    Duration age = Duration.between(issued, Instant.now());
    if (age.compareTo(Duration.ofSeconds(90)) < 0) {
      LocalKube.sleep(Duration.ofSeconds(90).minus(age));
    }
    cluster.patchSpec("{\"tls\":{\"renewBefore\":\"2159h59m\"}}");
    int[] maxDown = {0};
    cluster.waitUntil(Duration.ofMinutes(15), "every member replaced with new certificates", () -> {
      maxDown[0] = Math.max(maxDown[0], cluster.membersDown(3));
      Map<String, Instant> now = cluster.podCreationTimes();
      return now.size() == 3 && now.entrySet().stream().allMatch(e -> e.getValue().isAfter(createdBefore.get(e.getKey())))
          && cluster.field(".status.upgrade").isEmpty() && cluster.available();
    });
    cluster.patchSpec("{\"tls\":{\"renewBefore\":\"720h\"}}");
    load.stopAndJoin();

    Set<String> stored = new TreeSet<>(etcdctl(cluster.clientService(), "get", load.prefix(), "--prefix", "--keys-only")
        .orFail().lines().filter(l -> !l.isBlank()).toList());
    System.out.printf("  write load during the certificate roll: %s%n", load.report());
    assertThat(load.acknowledged()).isNotEmpty();
    assertThat(stored).as("acknowledged writes after the roll").containsAll(load.acknowledged());
    assertThat(maxDown[0]).as("members down at the same time").isLessThanOrEqualTo(1);
    assertThat(kube.jsonpath(NAMESPACE, "secret/" + CLUSTER + "-1-tls", ".data.tls\\.crt")).isNotEqualTo(certBefore);
    assertThat(cluster.events("CertificatesRolled")).isNotEmpty();
    saveClientCertificate();
    assertThat(etcdctl(cluster.clientService(), "get", "e2e/tls", "--print-value-only").orFail().strip()).isEqualTo("sealed");
  }

  @Test
  @Order(4)
  void anUpgradeOverTlsKeepsTheDataAndTheTls() throws Exception {
    WriteLoad load = WriteLoad.start("e2e/tls-upgrade/", (key, value) -> etcdctl(cluster.clientService(), "put", key, value));
    LocalKube.sleep(Duration.ofSeconds(5));
    cluster.patchSpec("{\"version\":\"" + kube.versionB + "\"}");
    cluster.waitUntil(Duration.ofMinutes(20), "status.version " + kube.versionB, () -> kube.versionB.equals(cluster.field(".status.version")));
    load.stopAndJoin();
    Set<String> stored = new TreeSet<>(etcdctl(cluster.clientService(), "get", load.prefix(), "--prefix", "--keys-only")
        .orFail().lines().filter(l -> !l.isBlank()).toList());
    System.out.printf("  write load during the upgrade over TLS: %s%n", load.report());
    assertThat(stored).as("acknowledged writes after the upgrade").containsAll(load.acknowledged());
    assertThat(words(cluster.field(".status.members[*].serverVersion"))).containsOnly(kube.versionB);
    assertThat(kube.jsonpath(NAMESPACE, "pod/" + CLUSTER + "-2", ".spec.containers[0].args")).contains("--peer-cert-file=");
    assertThat(etcdctl(cluster.clientService(), "get", "e2e/tls", "--print-value-only").orFail().strip()).isEqualTo("sealed");
  }
}
