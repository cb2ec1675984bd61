package io.kvorum.server.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * Real etcd 3.4 members (Debian {@code etcd-server}) on loopback: the reference the client
 * contracts are first checked against, so an assertion that kvorum fails is known to describe
 * etcd's behaviour and not a test's guess.
 */
public final class EtcdReferenceCluster implements ClientCluster {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Path dir;
  private final List<String> names = new ArrayList<>();
  private final List<Integer> clientPorts = new ArrayList<>();
  private final List<Integer> peerPorts = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final String initialCluster;

  public EtcdReferenceCluster(Path dir, int members) {
    this.dir = dir;
    StringJoiner cluster = new StringJoiner(",");
    for (int i = 0; i < members; i++) {
      names.add("s" + (i + 1));
      clientPorts.add(freePort());
      peerPorts.add(freePort());
      cluster.add(names.get(i) + "=http://127.0.0.1:" + peerPorts.get(i));
      processes.add(null);
    }
    this.initialCluster = cluster.toString();
    for (int i = 0; i < members; i++) {
      processes.set(i, launch(i));
    }
    for (int i = 0; i < members; i++) {
      awaitHealthy(i);
    }
  }

  private Process launch(int i) {
    String client = "http://127.0.0.1:" + clientPorts.get(i);
    String peer = "http://127.0.0.1:" + peerPorts.get(i);
    List<String> command =
        List.of(
            "etcd",
            "--name=" + names.get(i),
            "--data-dir=" + dir.resolve(names.get(i)),
            "--listen-client-urls=" + client,
            "--advertise-client-urls=" + client,
            "--listen-peer-urls=" + peer,
            "--initial-advertise-peer-urls=" + peer,
            "--initial-cluster=" + initialCluster,
            "--initial-cluster-token=tkn",
            "--initial-cluster-state=new",
            "--logger=zap",
            "--log-outputs=" + dir.resolve(names.get(i) + ".log"));
    try {
      return new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve(names.get(i) + ".out").toFile())
          .start();
    } catch (IOException e) {
      throw new AssertionError("cannot run etcd: apt-get install -y etcd-server (etcd 3.4)", e);
    }
  }

  private void awaitHealthy(int i) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create("http://" + clientEndpoint(i) + "/health"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("\"health\":\"true\"")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("etcd member " + names.get(i) + " not healthy within 60s; see " + dir);
  }

  /**
   * LocalCluster's ports (never handed out twice in this JVM): with port 0 the OS may answer the
   * same port for the client and the peer URL, and etcd then never starts.
   */
  private static int freePort() {
    return LocalCluster.freePort();
  }

  @Override
  public List<String> clientEndpoints() {
    return clientPorts.stream().map(p -> "127.0.0.1:" + p).toList();
  }

  @Override
  public void kill(int member) {
    Process p = processes.get(member);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void restart(int member) {
    processes.set(member, launch(member));
    awaitHealthy(member);
  }

  @Override
  public String unusedPeerUrl() {
    return "http://127.0.0.1:" + freePort();
  }

  @Override
  public void close() {
    for (Process p : processes) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
    for (Process p : processes) {
      try {
        if (p != null) {
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // JUnit's @TempDir cleans up what is left
    }
  }
}
