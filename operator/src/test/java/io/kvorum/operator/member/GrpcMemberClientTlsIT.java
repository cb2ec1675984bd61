package io.kvorum.operator.member;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.operator.tls.CertificateIssuer;
import io.kvorum.operator.tls.CertificateIssuer.Usage;
import io.kvorum.operator.tls.Issued;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GrpcMemberClient#withTls} against a real etcd 3.4 serving TLS with
 * {@code --client-cert-auth} (the reference Kvorum follows), with certificates from
 * {@link CertificateIssuer} as a Generated cluster gets them: the operator's client
 * certificate is accepted on HTTPS and gRPC; a client without one, with a certificate of
 * another CA, trusting another CA, or expecting another cluster's names gets nothing.
 */
class GrpcMemberClientTlsIT {

  static final String DOMAIN = ".demo-peer.ns.svc";
  static Process etcd;
  static URI clientUrl;
  static Issued ca;
  static Issued operator;
  static final CertificateIssuer ISSUER = new CertificateIssuer();

  /** Certificates, etcd's data dir and log; JUnit deletes it after the class. */
  @TempDir static Path dir;

  @BeforeAll
  static void startEtcdWithTls() throws Exception {
    Path binary = Path.of("/usr/bin/etcd");
    Assumptions.assumeTrue(Files.isExecutable(binary), "etcd 3.4 not installed: apt-get install -y etcd-server");
    Instant now = Instant.now();
    ca = ISSUER.newCa("kvorum-ca demo.ns", now, Duration.ofDays(1));
    Issued member = ISSUER.issue(ca, "demo-0", Usage.MEMBER, List.of("demo-0" + DOMAIN, "localhost"), List.of("127.0.0.1"),
        now, Duration.ofHours(1));
    operator = ISSUER.issue(ca, "root", Usage.CLIENT, List.of(), List.of(), now, Duration.ofHours(1));
    Files.writeString(dir.resolve("tls.crt"), member.certificatePem());
    Files.writeString(dir.resolve("tls.key"), member.keyPem());
    Files.writeString(dir.resolve("ca.crt"), ca.certificatePem());
    int client = GrpcMemberClientIT.freePort();
    int peer = GrpcMemberClientIT.freePort();
    clientUrl = URI.create("https://127.0.0.1:" + client);
    String peerUrl = "http://127.0.0.1:" + peer;
    etcd = new ProcessBuilder(binary.toString(), "--name", "demo-0", "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", clientUrl.toString(), "--advertise-client-urls", clientUrl.toString(),
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", "demo-0=" + peerUrl,
        "--cert-file", dir.resolve("tls.crt").toString(), "--key-file", dir.resolve("tls.key").toString(),
        "--trusted-ca-file", dir.resolve("ca.crt").toString(), "--client-cert-auth",
        "--logger", "zap", "--log-outputs", "stderr")
        .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
    try (GrpcMemberClient plain = new GrpcMemberClient(Duration.ofSeconds(2), Duration.ofSeconds(5))) {
      MemberClient members = plain.withTls(operatorTls());
      Instant deadline = Instant.now().plusSeconds(30);
      while (!members.probe(clientUrl).healthy()) {
        if (Instant.now().isAfter(deadline) || !etcd.isAlive()) {
          throw new AssertionError("etcd with TLS did not become healthy in 30s: " + Files.readString(dir.resolve("etcd.log")));
        }
        Thread.sleep(200);
      }
    }
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) {
      etcd.destroy();
      etcd.waitFor();
    }
  }

  static ClientTls operatorTls() {
    return new ClientTls(operator.certificatePem(), operator.keyPem(), ca.certificatePem(), DOMAIN);
  }

  @Test
  void theOperatorsCertificateOpensHttpsAndGrpc(@TempDir Path backups) throws IOException {
    try (GrpcMemberClient root = new GrpcMemberClient(Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      MemberClient members = root.withTls(operatorTls());
      MemberProbe p = members.probe(clientUrl);
      assertThat(p.reachable()).isTrue();
      assertThat(p.healthy()).isTrue();
      assertThat(p.serverVersion()).startsWith("3.4.");
      assertThat(p.isLeader()).isTrue();
      assertThat(members.memberList(clientUrl)).singleElement().satisfies(m -> assertThat(m.name()).isEqualTo("demo-0"));
      SnapshotResult snapshot = members.snapshot(clientUrl, backups.resolve("ns/demo/demo-1.db"));
      try (OutputStream sink = OutputStream.nullOutputStream(); Sha256TrailerStream check = new Sha256TrailerStream(sink)) {
        check.write(Files.readAllBytes(snapshot.file()));
        assertThat(check.verify()).isEqualTo(snapshot.sha256());
      }
    }
  }

  @Test
  void withoutTheRightCertificateCaOrNamesNothingAnswers() {
    Instant now = Instant.now();
    Issued otherCa = ISSUER.newCa("other", now, Duration.ofDays(1));
    Issued stranger = ISSUER.issue(otherCa, "root", Usage.CLIENT, List.of(), List.of(), now, Duration.ofHours(1));
    try (GrpcMemberClient root = new GrpcMemberClient(Duration.ofSeconds(3), Duration.ofSeconds(5))) {
      assertThat(root.probe(URI.create(clientUrl.toString().replace("https", "http"))).reachable()).as("plaintext").isFalse();
      assertThat(root.withTls(new ClientTls(stranger.certificatePem(), stranger.keyPem(), ca.certificatePem(), DOMAIN))
          .probe(clientUrl).reachable()).as("a client certificate of another CA").isFalse();
      assertThat(root.withTls(new ClientTls(operator.certificatePem(), operator.keyPem(), otherCa.certificatePem(), DOMAIN))
          .probe(clientUrl).reachable()).as("trusting another CA").isFalse();
      assertThat(root.withTls(new ClientTls(operator.certificatePem(), operator.keyPem(), ca.certificatePem(), ".other-peer.ns.svc"))
          .probe(clientUrl).reachable()).as("a member of another cluster").isFalse();
      assertThat(root.withTls(operatorTls()).probe(clientUrl).reachable()).as("and the right one still works").isTrue();
    }
  }
}
