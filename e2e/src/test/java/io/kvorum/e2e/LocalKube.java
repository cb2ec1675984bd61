package io.kvorum.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The local Kubernetes of e2e/cluster.sh, driven the way a user drives it: kubectl, helm and
 * etcdctl on this machine's PATH plus the cluster's tool folder, KUBECONFIG from
 * {@code e2e/cluster.sh env}.
 *
 * <p>{@link #prepare()} runs {@code e2e/demo.sh --prepare-only} once per JVM: the cluster comes
 * up (or is found up), and the node jars of versions A and B, the operator and their images are
 * built when their sources changed and loaded into the cluster's containerd. The first time on
 * a machine that takes long (Go and Maven builds); afterwards it is a matter of seconds.
 */
final class LocalKube {
  static final String OPERATOR_NAMESPACE = "kvorum-system";
  static final String OPERATOR_RELEASE = "kvorum-operator";

  private static LocalKube instance;

  final Path repo;
  final String versionA;
  final String versionB;
  private final Cli cli;

  private LocalKube(Path repo, String versionA, Cli cli) {
    this.repo = repo;
    this.versionA = versionA;
    String[] v = versionA.split("\\.");
    this.versionB = v[0] + "." + (Integer.parseInt(v[1]) + 1) + ".0";
    this.cli = cli;
  }

  /** The prepared cluster, shared by every test class of the run. */
  static synchronized LocalKube prepare() {
    if (instance == null) {
      Path repo = Path.of(System.getProperty("kvorum.repo", "..")).toAbsolutePath().normalize();
      if (!Files.isExecutable(repo.resolve("e2e/demo.sh"))) {
        throw new AssertionError("kvorum.repo=" + repo + " is not the repository root (no e2e/demo.sh)");
      }
      String versionA = System.getProperty("kvorum.version.a", "1.0.0");
      Cli bootstrap = new Cli(Map.of());
      Cli.Result prep = bootstrap.run(Duration.ofMinutes(75),
          List.of(repo.resolve("e2e/demo.sh").toString(), "--prepare-only"));
      if (!prep.ok()) {
        throw new AssertionError("e2e/demo.sh --prepare-only failed (exit " + prep.exitCode() + "):\n"
            + tail(prep.err(), 60));
      }
      List<String> dirs = bootstrap.run(Duration.ofSeconds(30), List.of("bash", "-c",
          "source '" + repo.resolve("e2e/bin/lib.sh") + "' && echo \"$BIN_DIR\" && echo \"$RUN_DIR\"")).orFail().lines().toList();
      String binDir = dirs.get(0);
      String kubeconfig = bootstrap.run(Duration.ofSeconds(30),
          List.of(repo.resolve("e2e/cluster.sh").toString(), "env")).orFail()
          .replaceFirst("(?s).*KUBECONFIG=(\\S+).*", "$1");
      Map<String, String> env = new HashMap<>();
      env.put("KUBECONFIG", kubeconfig);
      env.put("PATH", binDir + ":" + System.getenv("PATH"));
      env.put("ETCDCTL_API", "3");
      env.put("DOCKER_HOST", "unix://" + dirs.get(1) + "/docker.sock");
      // ctr (Debian's containerd package) talks to the kubelet's containerd, pods' namespace
      env.put("CONTAINERD_ADDRESS", dirs.get(1) + "/containerd/containerd.sock");
      env.put("CONTAINERD_NAMESPACE", "k8s.io");
      instance = new LocalKube(repo, versionA, new Cli(env));
    }
    return instance;
  }

  /**
   * helm upgrade --install of the operator chart with the locally built image, then waits for
   * its Deployment to be Available. Idempotent: a second call with nothing changed is a no-op
   * release revision.
   */
  void installOperator() {
    run(Duration.ofSeconds(60), "kubectl", "apply", "--server-side", "--force-conflicts", "-f",
        repo.resolve("helm/kvorum-operator/crds").toString()).orFail();
    Cli.Result install = helm(Duration.ofMinutes(6), "upgrade", "--install", OPERATOR_RELEASE,
        repo.resolve("helm/kvorum-operator").toString(), "-n", OPERATOR_NAMESPACE,
        "--create-namespace", "--set", "image.repository=kvorum/operator", "--set", "image.tag=" + versionA,
        "--set", "image.pullPolicy=Never", "--set-string", "podAnnotations.kvorum-e2e/image-id=" + imageId("kvorum/operator:" + versionA),
        "--wait", "--timeout", "5m");
    if (!install.ok()) {
      throw new AssertionError("helm install failed:\n" + install.err() + install.out() + "\n" + operatorDiagnostics().collect());
    }
    waitUntil(Duration.ofMinutes(3), "operator deployment Available",
        () -> "True".equals(jsonpath(OPERATOR_NAMESPACE, "deploy/" + OPERATOR_RELEASE,
            ".status.conditions[?(@.type==\"Available\")].status")),
        operatorDiagnostics());
  }

  /** Deletes {@code namespace} with everything in it (KVClusters first) and creates it empty. */
  void freshNamespace(String namespace) {
    if (kubectl("get", "namespace", namespace).ok()) {
      kubectl("-n", namespace, "delete", "kvcluster", "--all", "--wait=false");
      run(Duration.ofMinutes(5), "kubectl", "delete", "namespace", namespace, "--timeout=280s").orFail();
    }
    kubectl("create", "namespace", namespace).orFail();
  }

  Cli.Result run(Duration timeout, String... command) {
    return cli.run(timeout, List.of(command));
  }

  Cli.Result kubectl(String... args) {
    return cli.run(Duration.ofSeconds(60), Cli.args("kubectl", args));
  }

  /** kubectl apply of a manifest given as text. */
  Cli.Result apply(String namespace, String manifest) {
    return cli.run(Duration.ofSeconds(60), List.of("kubectl", "-n", namespace, "apply", "-f", "-"), manifest);
  }

  Cli.Result helm(Duration timeout, String... args) {
    return cli.run(timeout, Cli.args("helm", args));
  }

  /**
   * The id of a locally built image. Given to helm as a pod annotation, so an image rebuilt
   * under the same tag (pullPolicy Never) still rolls the operator's pod.
   */
  String imageId(String ref) {
    return run(Duration.ofSeconds(30), "docker", "image", "inspect", "-f", "{{.Id}}", ref).orFail().strip();
  }

  /** etcdctl against {@code endpoints} (host:port, comma-separated), 15 s per command. */
  Cli.Result etcdctl(String endpoints, String... args) {
    List<String> command = new ArrayList<>(List.of("etcdctl", "--endpoints", endpoints, "--command-timeout", "10s"));
    command.addAll(List.of(args));
    return cli.run(Duration.ofSeconds(15), command);
  }

  /** One field of an object, by kubectl's jsonpath; empty when the object or field is missing. */
  String jsonpath(String namespace, String object, String path) {
    Cli.Result r = kubectl("-n", namespace, "get", object, "-o", "jsonpath={" + path + "}");
    return r.ok() ? r.out().strip() : "";
  }

  /**
   * Polls {@code condition} every 3 s until it holds or {@code timeout} passed; then fails with
   * {@code what} and whatever {@code diagnostics} prints (describe, events, operator log).
   */
  void waitUntil(Duration timeout, String what, BooleanSupplier condition, Diagnostics diagnostics) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long start = System.nanoTime();
    long nextNote = start + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      long now = System.nanoTime();
      if (now > deadline) {
        throw new AssertionError("not within " + timeout.toSeconds() + "s: " + what + "\n" + diagnostics.collect());
      }
      if (now > nextNote) {
        System.out.printf("  ... waiting %ds for %s%n", Duration.ofNanos(now - start).toSeconds(), what);
        nextNote = now + Duration.ofSeconds(30).toNanos();
      }
      sleep(Duration.ofSeconds(3));
    }
    System.out.printf("  %s after %ds%n", what, Duration.ofNanos(System.nanoTime() - start).toSeconds());
  }

  /** Text to attach to a failure: the state a person debugging it would ask for first. */
  interface Diagnostics {
    String collect();
  }

  /** describe of the KVCluster, its pods and events, and the operator's recent log. */
  Diagnostics clusterDiagnostics(String namespace, String cluster) {
    return () -> String.join("\n",
        "--- kubectl describe kvcluster " + cluster, kubectl("-n", namespace, "describe", "kvcluster", cluster).out(),
        "--- pods", kubectl("-n", namespace, "get", "pods", "-o", "wide").out(),
        "--- events", kubectl("-n", namespace, "get", "events", "--sort-by", ".lastTimestamp").out(),
        operatorDiagnostics().collect());
  }

  Diagnostics operatorDiagnostics() {
    return () -> String.join("\n",
        "--- operator pods", kubectl("-n", OPERATOR_NAMESPACE, "describe", "pods").out(),
        "--- operator log (last 60 lines)",
        kubectl("-n", OPERATOR_NAMESPACE, "logs", "deploy/" + OPERATOR_RELEASE, "--tail", "60").out());
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static String tail(String text, int lines) {
    String[] all = text.split("\n");
    return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
  }
}
