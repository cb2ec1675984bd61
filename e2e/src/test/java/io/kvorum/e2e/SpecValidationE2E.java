package io.kvorum.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Flow 5 of the issue: a KVCluster the schema forbids is refused by {@code kubectl apply} itself,
 * with a message that says what is wrong, and nothing is created.
 */
class SpecValidationE2E {
  private static final String NAMESPACE = "default";
  private static LocalKube kube;

  @BeforeAll
  static void crdInstalled() {
    kube = LocalKube.prepare();
    kube.run(Duration.ofSeconds(60), "kubectl", "apply", "--server-side", "--force-conflicts", "-f",
        kube.repo.resolve("helm/kvorum-operator/crds").toString()).orFail();
    kube.run(Duration.ofSeconds(60), "kubectl", "wait", "--for=condition=Established", "--timeout=50s",
        "crd/kvclusters.kvorum.io").orFail();
  }

  @Test
  void fourReplicasAreRefusedWithTheAllowedCounts() {
    Cli.Result r = kube.apply(NAMESPACE, cluster("bad-replicas", 4, "1.0.0"));

    assertThat(r.exitCode()).as("kubectl apply exit code; output: %s", r.out()).isNotZero();
    assertThat(r.err()).contains("spec.replicas").contains("replicas must be 1, 3, 5 or 7");
    assertNothingCreated("bad-replicas");
  }

  @Test
  void aVersionThatIsNotSemverIsRefusedWithTheExpectedForm() {
    Cli.Result r = kube.apply(NAMESPACE, cluster("bad-version", 3, "banana"));

    assertThat(r.exitCode()).as("kubectl apply exit code; output: %s", r.out()).isNotZero();
    assertThat(r.err()).contains("spec.version").contains("MAJOR.MINOR.PATCH");
    assertNothingCreated("bad-version");
  }

  private static void assertNothingCreated(String name) {
    Cli.Result get = kube.kubectl("-n", NAMESPACE, "get", "kvcluster", name);
    assertThat(get.ok()).as("kvcluster %s exists after a refused apply: %s", name, get.out()).isFalse();
    assertThat(get.err()).contains("NotFound");
    assertThat(kube.kubectl("-n", NAMESPACE, "get", "pods", "-l", "app.kubernetes.io/instance=" + name, "-o", "name")
        .orFail()).isBlank();
  }

  static String cluster(String name, int replicas, String version) {
    return """
        apiVersion: kvorum.io/v1alpha1
        kind: KVCluster
        metadata:
          name: %s
        spec:
          replicas: %d
          version: "%s"
        """.formatted(name, replicas, version);
  }
}
