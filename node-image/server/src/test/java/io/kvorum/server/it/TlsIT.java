package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.kvorum.server.peer.PeerTransport;
import io.kvorum.server.tls.GrpcChannels;
import io.kvorum.server.tls.PortTls;
import io.kvorum.server.tls.TestPki;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on real processes: a 3-member cluster whose members talk mutual TLS on the peer port and
 * serve clients mutual TLS on the client port, checked with etcdctl 3.4, jetcd, an HTTPS client
 * and a rogue peer; plus members with mismatched peer CAs and {@code --auto-tls}.
 */
class TlsIT {
  @TempDir static Path dir;
  static TestPki pki;
  static TestPki otherCa;
  static TestPki.Files server;
  static TestPki.Files peer;
  static TestPki.Files alice;
  static TestPki.Files mallory;
  static LocalCluster cluster;

  @BeforeAll
  static void startMutualTlsCluster() throws IOException {
    pki = new TestPki(dir.resolve("pki"));
    otherCa = new TestPki(dir.resolve("other-ca"));
    server = pki.issue("member", "server");
    peer = pki.issue("peer", "peer");
    alice = pki.issue("alice", "alice");
    mallory = otherCa.issue("mallory", "mallory");
    cluster =
        start(
            dir.resolve("mtls"),
            3,
            true,
            m -> peerFlags(pki, peer),
            List.of(
                "--cert-file=" + server.cert(),
                "--key-file=" + server.key(),
                "--trusted-ca-file=" + pki.caFile,
                "--client-cert-auth"));
    waitForLeader(cluster, aliceChannels(), Duration.ofSeconds(120));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static List<String> peerFlags(TestPki ca, TestPki.Files cert) {
    return List.of(
        "--peer-cert-file=" + cert.cert(),
        "--peer-key-file=" + cert.key(),
        "--peer-trusted-ca-file=" + ca.caFile,
        "--peer-client-cert-auth");
  }

  /**
   * Starts {@code n} members with https peer URLs (and https client URLs if {@code httpsClient}),
   * each with the shared {@code flags} and its own {@code perMember} flags.
   */
  static LocalCluster start(Path dir, int n, boolean httpsClient, Function<LocalCluster.Member, List<String>> perMember, List<String> flags) {
    LocalCluster c = LocalCluster.startWith(0, dir, Map.of(), flags);
    for (int i = 0; i < n; i++) {
      c.newMember();
    }
    for (LocalCluster.Member m : c.members()) {
      List<String> f = new ArrayList<>();
      for (String flag : c.flags(m, "new", c.initialCluster(), c.token())) {
        boolean peerUrl = flag.startsWith("--listen-peer-urls") || flag.startsWith("--initial-advertise-peer-urls") || flag.startsWith("--initial-cluster=");
        boolean clientUrl = flag.startsWith("--listen-client-urls") || flag.startsWith("--advertise-client-urls");
        f.add(peerUrl || (clientUrl && httpsClient) ? flag.replace("http://", "https://") : flag);
      }
      f.addAll(perMember.apply(m));
      c.launchRaw(m, f);
    }
    return c;
  }

  static GrpcChannels aliceChannels() {
    try {
      return GrpcChannels.of(PortTls.forDialing(pki.caFile, alice.cert(), alice.key()));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Every member answers Status over TLS and names the same leader. */
  static void waitForLeader(LocalCluster c, GrpcChannels channels, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      Set<Long> leaders = new HashSet<>();
      for (LocalCluster.Member m : c.members()) {
        ManagedChannel ch = channels.builder(URI.create("https://" + m.clientAddress())).build();
        try {
          StatusResponse s =
              MaintenanceGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
          leaders.add(s.getLeader());
        } catch (RuntimeException e) {
          last = m.name + ": " + e.getMessage();
          leaders.add(0L);
        } finally {
          ch.shutdownNow();
        }
      }
      if (leaders.size() == 1 && !leaders.contains(0L)) {
        return;
      }
      LocalCluster.sleep(300);
    }
    throw new AssertionError("no leader over TLS within " + timeout + " (" + last + "); logs:\n" + c.member(1).logTail(20));
  }

  static String[] tlsFlags(TestPki.Files client) {
    List<String> f = new ArrayList<>(List.of("--cacert=" + pki.caFile));
    if (client != null) {
      f.add("--cert=" + client.cert());
      f.add("--key=" + client.key());
    }
    return f.toArray(String[]::new);
  }

  static Etcdctl.Result etcdctl(LocalCluster.Member m, TestPki.Files client, String... args) {
    List<String> all = new ArrayList<>(List.of(tlsFlags(client)));
    all.addAll(List.of(args));
    return Etcdctl.run(m.clientAddress(), all.toArray(String[]::new));
  }

  @Test
  void threeMembersReplicateOverPeerMutualTlsAndServeEtcdctlOverMutualTls() {
    etcdctl(cluster.member(1), alice, "put", "tls/k", "v1").ok();
    assertThat(etcdctl(cluster.member(3), alice, "get", "tls/k", "--print-value-only").ok().out()).isEqualTo("v1\n");
    assertThat(etcdctl(cluster.member(2), alice, "member", "list").ok().out()).contains("https://127.0.0.1:" + cluster.member(2).peerPort);

    // A follower forwards lease keep-alives to the leader's client URL, with its own certificate.
    String grant = etcdctl(cluster.member(2), alice, "lease", "grant", "60").ok().out();
    String id = grant.split(" ")[1];
    for (LocalCluster.Member m : cluster.members()) {
      assertThat(etcdctl(m, alice, "lease", "keep-alive", "--once", id).ok().out()).contains("keepalived with TTL");
    }
  }

  @Test
  void clientsWithoutACertificateOrWithOneOfAnotherCaAreRefused() {
    Etcdctl.Result noCert = etcdctl(cluster.member(1), null, "--dial-timeout=2s", "--command-timeout=4s", "get", "tls/k");
    assertThat(noCert.exit()).isNotZero();
    Etcdctl.Result wrongCa = etcdctl(cluster.member(1), mallory, "--dial-timeout=2s", "--command-timeout=4s", "get", "tls/k");
    assertThat(wrongCa.exit()).isNotZero();
    Etcdctl.Result plaintext = Etcdctl.run(cluster.member(1).clientAddress(), "--dial-timeout=2s", "--command-timeout=4s", "get", "tls/k");
    assertThat(plaintext.exit()).isNotZero();
  }

  @Test
  void jetcdWorksOverMutualTlsAndIsRefusedWithoutACertificate() throws Exception {
    String[] endpoints = cluster.members().stream().map(m -> "https://" + m.clientAddress()).toArray(String[]::new);
    ByteSequence key = ByteSequence.from("tls/jetcd", StandardCharsets.UTF_8);
    try (Client client =
        Client.builder()
            .endpoints(endpoints)
            .sslContext(GrpcSslContexts.forClient().trustManager(pki.caFile.toFile()).keyManager(alice.cert().toFile(), alice.key().toFile()).build())
            .build()) {
      client.getKVClient().put(key, ByteSequence.from("j", StandardCharsets.UTF_8)).get(20, TimeUnit.SECONDS);
      assertThat(client.getKVClient().get(key).get(20, TimeUnit.SECONDS).getKvs().getFirst().getValue().toString(StandardCharsets.UTF_8)).isEqualTo("j");
    }
    try (Client noCert =
        Client.builder()
            .endpoints(endpoints)
            .sslContext(GrpcSslContexts.forClient().trustManager(pki.caFile.toFile()).build())
            .build()) {
      // jetcd retries a refused handshake until the call's deadline: it fails one way or the other.
      assertThatThrownBy(() -> noCert.getKVClient().get(key).get(5, TimeUnit.SECONDS))
          .isInstanceOfAny(java.util.concurrent.ExecutionException.class, java.util.concurrent.TimeoutException.class);
    }
  }

  @Test
  void healthAndTheJsonGatewayAnswerOverHttps() throws Exception {
    URI base = URI.create("https://" + cluster.member(2).clientAddress());
    try (HttpClient http = HttpClient.newBuilder().sslContext(TestPki.sslContext(pki.caFile, alice)).connectTimeout(Duration.ofSeconds(30)).build()) {
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"health\":\"true\"");
      HttpResponse<String> put =
          http.send(
              HttpRequest.newBuilder(base.resolve("/v3/kv/put"))
                  .timeout(Duration.ofSeconds(30))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"dGxzL2d3\",\"value\":\"aHR0cHM=\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).isEqualTo(200);
    }
    assertThat(etcdctl(cluster.member(1), alice, "get", "tls/gw", "--print-value-only").ok().out()).isEqualTo("https\n");
    try (HttpClient noCert = HttpClient.newBuilder().sslContext(TestPki.sslContext(pki.caFile, null)).connectTimeout(Duration.ofSeconds(30)).build()) {
      assertThatThrownBy(() -> noCert.send(HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void aPeerWithoutACertificateOfThePeerCaIsRefusedAndTheRefusalIsLogged() throws Exception {
    LocalCluster.Member m1 = cluster.member(1);
    URI peerUrl = URI.create("https://127.0.0.1:" + m1.peerPort);
    assertThat(PeerTransport.fetchVersion(GrpcChannels.of(PortTls.forDialing(pki.caFile, peer.cert(), peer.key())), peerUrl, Duration.ofSeconds(30)).getMemberId())
        .as("a member's certificate is accepted")
        .isNotZero();
    long before = rejections(m1);
    for (TestPki.Files rogue : new TestPki.Files[] {null, mallory}) {
      GrpcChannels channels = GrpcChannels.of(PortTls.forDialing(pki.caFile, rogue == null ? null : rogue.cert(), rogue == null ? null : rogue.key()));
      assertThatThrownBy(() -> PeerTransport.fetchVersion(channels, peerUrl, Duration.ofSeconds(30))).hasMessageContaining("UNAVAILABLE");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (rejections(m1) < before + 2 && System.nanoTime() < deadline) {
      LocalCluster.sleep(100);
    }
    assertThat(rejections(m1)).as("one log line per refused handshake; log:\n" + m1.logTail(10)).isGreaterThanOrEqualTo(before + 2);
    assertThat(Files.readAllLines(m1.log()).stream().filter(l -> l.contains("rejected connection on peer endpoint")).toList())
        .allMatch(l -> l.contains("\"remote-addr\":\"/127.0.0.1:") && l.contains("\"error\":"));
  }

  static long rejections(LocalCluster.Member m) throws IOException {
    return Files.readAllLines(m.log()).stream().filter(l -> l.contains("rejected connection on peer endpoint")).count();
  }

  @Test
  void snapshotSaveDialsWithEtcdctlsTlsFlags() throws Exception {
    Path file = dir.resolve("tls.snap.db");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", LocalCluster.defaultJar().toString(), "snapshot", "save", file.toString(), "--endpoints", cluster.member(1).clientAddress()));
    cmd.addAll(List.of(tlsFlags(alice)));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(Files.size(file)).isPositive();
  }

  @Test
  void membersWithMismatchedPeerCasCannotFormACluster() throws Exception {
    TestPki caA = new TestPki(dir.resolve("ca-a"));
    TestPki caB = new TestPki(dir.resolve("ca-b"));
    TestPki.Files peerA = caA.issue("peer-a", "peer");
    TestPki.Files peerB = caB.issue("peer-b", "peer");
    try (LocalCluster split = start(dir.resolve("split"), 2, false, m -> m.name.equals("m1") ? peerFlags(caA, peerA) : peerFlags(caB, peerB), List.of())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while ((rejections(split.member(1)) == 0 || rejections(split.member(2)) == 0) && System.nanoTime() < deadline) {
        LocalCluster.sleep(200);
      }
      assertThat(rejections(split.member(1))).as("m1 refuses m2; log:\n" + split.member(1).logTail(10)).isPositive();
      assertThat(rejections(split.member(2))).as("m2 refuses m1; log:\n" + split.member(2).logTail(10)).isPositive();
      // Several election timeouts later there is still no leader: neither can reach the other.
      LocalCluster.sleep(3000);
      for (LocalCluster.Member m : split.members()) {
        // The peer port is up before the client port: give a slow start time to serve.
        Optional<StatusResponse> s = split.status(m);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (s.isEmpty() && System.nanoTime() < until) {
          LocalCluster.sleep(300);
          s = split.status(m);
        }
        assertThat(s).as(m.name + " answers on its plaintext client port").isPresent();
        assertThat(s.get().getLeader()).as(m.name + " has no leader").isZero();
      }
    }
  }

  @Test
  void autoTlsServesBothPortsWithCertificatesGeneratedIntoTheDataDir() throws Exception {
    try (LocalCluster auto = start(dir.resolve("auto"), 1, true, m -> List.of("--auto-tls", "--peer-auto-tls"), List.of())) {
      LocalCluster.Member m = auto.member(1);
      Etcdctl.Result put = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (System.nanoTime() < deadline) {
        put = Etcdctl.run(m.clientAddress(), "--insecure-transport=false", "--insecure-skip-tls-verify", "--dial-timeout=2s", "--command-timeout=4s", "put", "auto", "tls");
        if (put.exit() == 0) {
          break;
        }
        LocalCluster.sleep(300);
      }
      assertThat(put.exit()).as(put.err() + "\n" + m.logTail(20)).isZero();
      assertThat(m.dataDir.resolve("fixtures/client/cert.pem")).exists();
      assertThat(m.dataDir.resolve("fixtures/peer/cert-key.pem")).exists();
      assertThat(Etcdctl.run(m.clientAddress(), "--dial-timeout=2s", "--command-timeout=4s", "get", "auto").exit())
          .as("plaintext is refused on an https port")
          .isNotZero();
    }
  }
}
