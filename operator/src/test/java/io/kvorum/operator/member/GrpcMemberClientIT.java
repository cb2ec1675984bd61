package io.kvorum.operator.member;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GrpcMemberClient} against a real etcd 3.4 (Debian's etcd-server) on loopback: the
 * operator's member client speaks the protocol Kvorum implements, so it must work against the
 * reference. Covers probe (HTTP /version and /health, Maintenance.Status), member list, learner
 * add and remove, a streamed snapshot whose SHA-256 trailer verifies, and a drain that a member
 * without Kvorum's Serving service declines.
 */
class GrpcMemberClientIT {

  static Process etcd;
  static URI clientUrl;
  /** etcd's data dir and log; JUnit deletes it after the class. */
  @TempDir static Path dataDir;

  @BeforeAll
  static void startEtcd() throws Exception {
    Path binary = Path.of("/usr/bin/etcd");
    Assumptions.assumeTrue(Files.isExecutable(binary), "etcd 3.4 not installed: apt-get install -y etcd-server");
    int client = freePort();
    int peer = freePort();
    clientUrl = URI.create("http://127.0.0.1:" + client);
    String peerUrl = "http://127.0.0.1:" + peer;
    etcd = new ProcessBuilder(binary.toString(), "--name", "m0", "--data-dir", dataDir.resolve("data").toString(),
        "--listen-client-urls", clientUrl.toString(), "--advertise-client-urls", clientUrl.toString(),
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", "m0=" + peerUrl, "--logger", "zap", "--log-outputs", "stderr")
        .redirectErrorStream(true).redirectOutput(dataDir.resolve("etcd.log").toFile()).start();
    HttpClient http = HttpClient.newHttpClient();
    Instant deadline = Instant.now().plusSeconds(30);
    while (true) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(clientUrl.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.body().contains("true")) break;
      } catch (IOException notYet) {
        // starting
      }
      if (Instant.now().isAfter(deadline)) throw new AssertionError("etcd did not become healthy in 30s");
      Thread.sleep(200);
    }
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) {
      etcd.destroy();
      etcd.waitFor();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void probesAMember() {
    try (GrpcMemberClient members = new GrpcMemberClient(Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      MemberProbe p = members.probe(clientUrl);
      assertThat(p.reachable()).isTrue();
      assertThat(p.healthy()).isTrue();
      assertThat(p.serverVersion()).startsWith("3.4.");
      assertThat(p.clusterVersion()).startsWith("3.4.");
      assertThat(p.isLeader()).as("a single member leads").isTrue();
      assertThat(p.appliedIndex()).isPositive();
      assertThat(p.alarm()).isFalse();
    }
  }

  @Test
  void anAbsentMemberIsUnreachableQuickly() throws IOException {
    try (GrpcMemberClient members = new GrpcMemberClient(Duration.ofSeconds(2), Duration.ofSeconds(5))) {
      long start = System.nanoTime();
      assertThat(members.probe(URI.create("http://127.0.0.1:" + freePort())).reachable()).isFalse();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void addsAndRemovesALearner() {
    try (GrpcMemberClient members = new GrpcMemberClient(Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      assertThat(members.memberList(clientUrl)).singleElement().satisfies(m -> {
        assertThat(m.name()).isEqualTo("m0");
        assertThat(m.learner()).isFalse();
      });
      long id = members.addLearner(clientUrl, URI.create("http://127.0.0.1:1"));
      assertThat(members.memberList(clientUrl)).anySatisfy(m -> {
        assertThat(m.id()).isEqualTo(id);
        assertThat(m.learner()).isTrue();
        assertThat(m.name()).as("no name before it starts").isEmpty();
      });
      assertThatThrownBy(() -> members.promote(clientUrl, id)).isInstanceOf(MemberException.class)
          .hasMessageContaining("member promote");
      members.remove(clientUrl, id);
      assertThat(members.memberList(clientUrl)).hasSize(1);
    }
  }

  @Test
  void aMemberWithoutDrainsSaysSoInsteadOfFailing() {
    try (GrpcMemberClient members = new GrpcMemberClient(Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      assertThat(members.drain(clientUrl, Duration.ofSeconds(60))).as("etcd has no kvorum.v1.Serving").isFalse();
    }
  }

  @Test
  void streamsAVerifiedSnapshot(@TempDir Path dir) throws IOException {
    try (GrpcMemberClient members = new GrpcMemberClient(Duration.ofSeconds(5), Duration.ofSeconds(60))) {
      Path target = dir.resolve("ns/c/c-1.db");
      SnapshotResult r = members.snapshot(clientUrl, target);
      assertThat(target).exists();
      assertThat(Files.size(target)).isEqualTo(r.size());
      assertThat(r.sha256()).hasSize(64);
      assertThat(dir.resolve("ns/c/c-1.db.partial")).doesNotExist();
      try (OutputStream sink = OutputStream.nullOutputStream(); Sha256TrailerStream check = new Sha256TrailerStream(sink)) {
        check.write(Files.readAllBytes(target));
        assertThat(check.verify()).isEqualTo(r.sha256());
      }
    }
  }
}
