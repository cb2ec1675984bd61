package io.kvorum.operator.testing;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * One real kube-apiserver (fabric8 kube-api-test, offline) per test JVM, shared by the IT
 * classes, with the checked-in CRD applied and established. The binaries come from the e2e
 * tooling: {@code $KUBE_API_TEST_DIR/k8s/<version>-linux-amd64/{etcd,kube-apiserver,kubectl}}
 * (or {@code -Dkube-api-test.dir}; default {@code $KVORUM_CACHE/kube-api-test}, the e2e tooling's
 * cache, {@code ~/.cache/kvorum-e2e} unless set); without them the caller is skipped with
 * an assumption that says how to get them.
 */
public final class KubeApiServerSupport {

  public record Env(KubernetesClient client, Path kubeconfig, Path kubectl) {

    /** Runs kubectl against this API server; fails with its output when it exits non-zero. */
    public List<String> kubectl(String... args) throws IOException, InterruptedException {
      List<String> command = new java.util.ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString()));
      command.addAll(List.of(args));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError(String.join(" ", command) + " failed:\n" + out);
      }
      return out.lines().toList();
    }
  }

  private static Env env;

  private KubeApiServerSupport() {
  }

  public static synchronized Env require() {
    if (env != null) {
      return env;
    }
    Path dir = Path.of(Optional.ofNullable(System.getProperty("kube-api-test.dir"))
        .or(() -> Optional.ofNullable(System.getenv("KUBE_API_TEST_DIR")))
        .or(() -> Optional.ofNullable(System.getenv("KVORUM_CACHE")).map(cache -> cache + "/kube-api-test"))
        .orElse(System.getProperty("user.home") + "/.cache/kvorum-e2e/kube-api-test"));
    Optional<Path> binaries = binaries(dir);
    Assumptions.assumeTrue(binaries.isPresent(), "no kube-apiserver, etcd and kubectl under " + dir.resolve("k8s")
        + "/<version>-linux-amd64/: build them with the e2e tooling (e2e/cluster.sh) or point KUBE_API_TEST_DIR at them");
    // kube-api-test's etcd sometimes dies right after start on a loaded machine ("etcd process
    // stopped unexpectedly", then connection refused): one fresh start, then the error.
    for (int attempt = 1; ; attempt++) {
      try {
        env = start(dir, binaries.get());
        return env;
      } catch (KubernetesClientException e) {
        if (attempt == 2) {
          throw e;
        }
      }
    }
  }

  private static Env start(Path dir, Path binaries) {
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withTestDir(dir.toString())
        .withOfflineMode(true)
        .withUpdateKubeConfig(false)
        .build());
    server.start();
    KubernetesClient client = null;
    try {
      Path kubeconfig = Files.createTempFile("kvorum-kubeconfig", ".yaml");
      Files.writeString(kubeconfig, server.getKubeConfigYaml());
      client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();
      CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
          .load(RepoPaths.checkedInCrd().toFile()).item();
      client.resource(crd).create();
      client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
          .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions().stream()
              .anyMatch(cond -> cond.getType().equals("Established") && cond.getStatus().equals("True")), 60, TimeUnit.SECONDS);
      KubernetesClient started = client;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        started.close();
        server.stop();
        kubeconfig.toFile().delete();
      }));
      return new Env(client, kubeconfig, binaries.resolve("kubectl"));
    } catch (IOException e) {
      server.stop();
      throw new UncheckedIOException(e);
    } catch (KubernetesClientException e) {
      if (client != null) client.close();
      server.stop();
      throw e;
    }
  }

  private static Optional<Path> binaries(Path dir) {
    Path k8s = dir.resolve("k8s");
    if (!Files.isDirectory(k8s)) return Optional.empty();
    try (Stream<Path> versions = Files.list(k8s)) {
      return versions.filter(v -> Stream.of("etcd", "kube-apiserver", "kubectl").allMatch(b -> Files.isExecutable(v.resolve(b))))
          .sorted().reduce((a, b) -> b);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
