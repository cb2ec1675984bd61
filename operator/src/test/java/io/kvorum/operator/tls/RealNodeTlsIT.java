package io.kvorum.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.member.ClientTls;
import io.kvorum.operator.member.GrpcMemberClient;
import io.kvorum.operator.member.MemberClient;
import io.kvorum.operator.member.MemberProbe;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real Kvorum nodes on loopback with the operator's certificates and exactly the TLS flags
 * {@code MemberPod} gives them, then the CA rotation of {@link CaRotation} done by hand as the
 * operator's rolls would: roll 1 restarts each member with the trust bundle [A, B], roll 2 with a
 * certificate from B. After every restart all three members are healthy under one leader, seen
 * through the operator's TLS client (which also must be refused in plaintext).
 *
 * <p>Needs the node jar: {@code -Dkvorum.node.jar=node-image/server/target/kvorum.jar} (or
 * {@code KVORUM_NODE_JAR}); skipped without it, as it takes a minute or two of real processes.
 */
class RealNodeTlsIT {

  static final Duration HEALTHY_WITHIN = Duration.ofSeconds(120);
  final CertificateIssuer issuer = new CertificateIssuer();
  final List<Process> nodes = new ArrayList<>();
  final List<List<String>> commands = new ArrayList<>();

  @AfterEach
  void stopNodes() throws InterruptedException {
    for (Process p : nodes) p.destroy();
    for (Process p : nodes) p.waitFor();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void aTlsClusterFormsAndSurvivesTheTwoRollCaRotation(@TempDir Path dir) throws Exception {
    Optional<Path> jar = Optional.ofNullable(System.getProperty("kvorum.node.jar")).or(() -> Optional.ofNullable(System.getenv("KVORUM_NODE_JAR")))
        .filter(s -> !s.isBlank()).map(Path::of);
    Assumptions.assumeTrue(jar.isPresent() && Files.isRegularFile(jar.get()),
        "set -Dkvorum.node.jar=node-image/server/target/kvorum.jar (or KVORUM_NODE_JAR) to run three real nodes");
    KVCluster kvc = new KVCluster();
    kvc.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("ns").build());
    Instant now = Instant.now();
    Issued caA = issuer.newCa("kvorum-ca demo.ns", now, Duration.ofDays(10));
    int[] client = new int[3];
    int[] peer = new int[3];
    StringBuilder initial = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      client[i] = freePort();
      peer[i] = freePort();
      initial.append(i == 0 ? "" : ",").append("demo-").append(i).append("=https://127.0.0.1:").append(peer[i]);
    }
    for (int i = 0; i < 3; i++) {
      Path tls = Files.createDirectories(dir.resolve("m" + i + "/tls"));
      writeLeaf(tls, issuer.issue(caA, "demo-" + i, CertificateIssuer.Usage.MEMBER, MemberIdentity.dnsNames(kvc, i),
          MemberIdentity.LOOPBACK_IPS, now, Duration.ofDays(1)));
      Files.writeString(tls.resolve("ca.crt"), caA.certificatePem());
      String t = tls + "/";
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
          "-XX:TieredStopAtLevel=1", "-jar", jar.get().toAbsolutePath().toString(),
          "--name=demo-" + i, "--data-dir=" + dir.resolve("m" + i + "/data"),
          "--listen-client-urls=https://127.0.0.1:" + client[i], "--advertise-client-urls=https://127.0.0.1:" + client[i],
          "--listen-peer-urls=https://127.0.0.1:" + peer[i], "--initial-advertise-peer-urls=https://127.0.0.1:" + peer[i],
          "--initial-cluster=" + initial, "--initial-cluster-state=new", "--initial-cluster-token=ns-demo", "--logger=zap",
          "--cert-file=" + t + "tls.crt", "--key-file=" + t + "tls.key", "--trusted-ca-file=" + t + "ca.crt", "--client-cert-auth",
          "--peer-cert-file=" + t + "tls.crt", "--peer-key-file=" + t + "tls.key", "--peer-trusted-ca-file=" + t + "ca.crt",
          "--peer-client-cert-auth");
      commands.add(command);
      nodes.add(start(command, dir.resolve("m" + i + ".log")));
    }
    Issued operator = issuer.issue(caA, "root", CertificateIssuer.Usage.CLIENT, List.of(), List.of(), now, Duration.ofDays(1));
    try (GrpcMemberClient root = new GrpcMemberClient(Duration.ofSeconds(3), Duration.ofSeconds(30))) {
      MemberClient members = root.withTls(new ClientTls(operator.certificatePem(), operator.keyPem(), caA.certificatePem(),
          MemberIdentity.peerDomain(kvc)));
      awaitHealthy(members, client, dir, "formed");
      assertThat(members.memberList(URI.create("https://127.0.0.1:" + client[0]))).hasSize(3);
      assertThat(root.probe(URI.create("http://127.0.0.1:" + client[0])).reachable()).as("plaintext").isFalse();

      Issued caB = issuer.newCa("kvorum-ca demo.ns B", Instant.now(), Duration.ofDays(10));
      String bundle = caA.certificatePem() + caB.certificatePem();
      MemberClient trustingBoth = root.withTls(new ClientTls(operator.certificatePem(), operator.keyPem(), bundle,
          MemberIdentity.peerDomain(kvc)));
      for (int roll = 1; roll <= 2; roll++) {
        for (int i = 0; i < 3; i++) {
          nodes.get(i).destroy();
          nodes.get(i).waitFor();
          Path tls = dir.resolve("m" + i + "/tls");
          Files.writeString(tls.resolve("ca.crt"), bundle);
          if (roll == 2) {
            writeLeaf(tls, issuer.issue(caB, "demo-" + i, CertificateIssuer.Usage.MEMBER, MemberIdentity.dnsNames(kvc, i),
                MemberIdentity.LOOPBACK_IPS, Instant.now(), Duration.ofDays(1)));
          }
          nodes.set(i, start(commands.get(i), dir.resolve("m" + i + ".log")));
          awaitHealthy(trustingBoth, client, dir, "roll " + roll + " after demo-" + i);
        }
      }
    }
  }

  private static void writeLeaf(Path tls, Issued leaf) throws IOException {
    Files.writeString(tls.resolve("tls.crt"), leaf.certificatePem());
    Files.writeString(tls.resolve("tls.key"), leaf.keyPem());
  }

  private static Process start(List<String> command, Path log) throws IOException {
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }

  /** All three healthy and exactly one leader within {@link #HEALTHY_WITHIN}, or fail with the last answers. */
  private static void awaitHealthy(MemberClient members, int[] client, Path dir, String when) throws Exception {
    Instant deadline = Instant.now().plus(HEALTHY_WITHIN);
    List<MemberProbe> last = List.of();
    while (Instant.now().isBefore(deadline)) {
      last = new ArrayList<>();
      for (int port : client) {
        last.add(members.probe(URI.create("https://127.0.0.1:" + port)));
      }
      if (last.stream().allMatch(MemberProbe::healthy) && last.stream().filter(MemberProbe::isLeader).count() == 1) {
        return;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError(when + ": not 3 healthy members under one leader within " + HEALTHY_WITHIN.toSeconds() + "s: "
        + last + "; node logs in " + dir);
  }
}
