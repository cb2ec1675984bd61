package io.kvorum.server.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** Kvorum members from the jar (through {@link LocalCluster}) as a {@link ClientCluster}. */
final class KvorumClientCluster implements ClientCluster {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final LocalCluster cluster;

  KvorumClientCluster(Path dir, int members) {
    this.cluster = LocalCluster.start(members, dir);
    try {
      cluster.waitForLeader(READY_TIMEOUT);
      for (LocalCluster.Member m : cluster.members()) {
        awaitHealthy(m);
      }
    } catch (RuntimeException | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  /** {@code /health} 200 means a leader is known and a linearizable read went through. */
  private void awaitHealthy(LocalCluster.Member m) {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> health =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(m.clientUrl() + "/health"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (health.statusCode() == 200) {
          return;
        }
        last = health.statusCode() + " " + health.body();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      LocalCluster.sleep(200);
    }
    throw new AssertionError(
        m.name + " not healthy within " + READY_TIMEOUT + " (last: " + last + "); log:\n"
            + m.logTail(30));
  }

  @Override
  public List<String> clientEndpoints() {
    return cluster.members().stream().map(LocalCluster.Member::clientAddress).collect(Collectors.toList());
  }

  @Override
  public void kill(int member) {
    cluster.kill(cluster.member(member + 1));
  }

  @Override
  public void restart(int member) {
    LocalCluster.Member m = cluster.member(member + 1);
    cluster.restart(m);
    awaitHealthy(m);
  }

  @Override
  public String unusedPeerUrl() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return "http://127.0.0.1:" + s.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    cluster.close();
  }
}
