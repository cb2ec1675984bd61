package io.kvorum.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlagParserTest {

  private static final String[] SEED_FLAGS = {
    "--name", "s1",
    "--data-dir", "/tmp/etcd/s1",
    "--listen-client-urls", "http://localhost:2379",
    "--advertise-client-urls", "http://localhost:2379",
    "--listen-peer-urls", "http://localhost:2380",
    "--initial-advertise-peer-urls", "http://localhost:2380",
    "--initial-cluster", "s1=http://localhost:2380,s2=http://localhost:22380,s3=http://localhost:32380",
    "--initial-cluster-token", "tkn",
    "--initial-cluster-state", "new"
  };

  @Test
  void seedCommandLineParses() {
    ServerConfig c = FlagParser.parse(SEED_FLAGS, Map.of());
    assertThat(c.name()).isEqualTo("s1");
    assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/etcd/s1"));
    assertThat(c.initialCluster()).containsOnlyKeys("s1", "s2", "s3");
    assertThat(c.initialCluster().get("s2")).containsExactly(URI.create("http://localhost:22380"));
    assertThat(c.initialClusterToken()).isEqualTo("tkn");
    assertThat(c.initialClusterState()).isEqualTo(ServerConfig.ClusterState.NEW);
    assertThat(c.warnings()).isEmpty();
  }

  @Test
  void defaultsAreEtcds() {
    ServerConfig c = FlagParser.parse(new String[0], Map.of());
    assertThat(c.name()).isEqualTo("default");
    assertThat(c.dataDir()).isEqualTo(Path.of("default.etcd"));
    assertThat(c.initialCluster()).containsEntry("default", List.of(URI.create("http://localhost:2380")));
    assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.electionTicks()).isEqualTo(10);
    assertThat(c.snapshotCount()).isEqualTo(100_000);
    assertThat(c.snapshotLogBytes()).as("a quarter of the heap").isEqualTo(Runtime.getRuntime().maxMemory() / 4);
    assertThat(c.quotaBackendBytes()).isEqualTo(2L * 1024 * 1024 * 1024);
    assertThat(c.maxRequestBytes()).isEqualTo(1_572_864);
    assertThat(c.logOutputs()).containsExactly("stderr");
  }

  @Test
  void environmentFillsFlagsAndCommandLineWins() {
    ServerConfig c =
        FlagParser.parse(
            new String[] {"-name=s9", "--initial-cluster=s9=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380"},
            Map.of("ETCD_NAME", "ignored", "ETCD_SNAPSHOT_COUNT", "50", "ETCD_BOGUS", "x", "ETCDCTL_API", "3"));
    assertThat(c.name()).isEqualTo("s9");
    assertThat(c.snapshotCount()).isEqualTo(50);
    assertThat(FlagParser.parse(new String[] {"--snapshot-log-bytes=4194304"}, Map.of()).snapshotLogBytes()).isEqualTo(4_194_304);
    assertThat(c.warnings())
        .containsExactlyInAnyOrder(
            "environment variable ETCD_NAME is shadowed by the flag --name",
            "unrecognized environment variable ETCD_BOGUS");
  }

  @Test
  void metricsUrlsAreOptionalAndChecked() {
    assertThat(FlagParser.parse(new String[] {}, Map.of()).listenMetricsUrls()).isEmpty();
    assertThat(FlagParser.parse(new String[] {"--listen-metrics-urls=http://0.0.0.0:2381,http://127.0.0.1:2382"}, Map.of()).listenMetricsUrls())
        .extracting(URI::toString)
        .containsExactly("http://0.0.0.0:2381", "http://127.0.0.1:2382");
    assertThatThrownBy(() -> FlagParser.parse(new String[] {"--listen-metrics-urls=2381"}, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--listen-metrics-urls");
    assertThatThrownBy(() -> FlagParser.parse(new String[] {"--listen-metrics-urls=https://0.0.0.0:2381"}, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("is https but no certificate is configured");
  }

  @Test
  void etcdFlagsKvorumIgnoresAreAcceptedWithAWarning() {
    ServerConfig c =
        FlagParser.parse(new String[] {"--enable-v2", "--auto-compaction-retention", "1", "--log-level=debug"}, Map.of());
    assertThat(c.logLevel()).isEqualTo("debug");
    assertThat(c.warnings()).hasSize(2).allMatch(w -> w.endsWith("ignored"));
  }

  @Test
  void badInputGetsOneClearLine() {
    assertError(new String[] {"--nmae", "x"}, "unknown flag: --nmae");
    assertError(new String[] {"--name"}, "flag needs an argument: --name");
    assertError(new String[] {"stray"}, "unexpected argument 'stray'");
    assertError(new String[] {"--initial-cluster-state", "old"}, "must be 'new' or 'existing'");
    assertError(new String[] {"--snapshot-count", "ten"}, "--snapshot-count must be a whole number, got 'ten'");
    assertError(new String[] {"--heartbeat-interval", "300"}, "should be at least 5 times --heartbeat-interval[300ms]");
    assertError(new String[] {"--listen-client-urls", "localhost:2379"}, "is not a URL of the form http://host:port");
    assertError(new String[] {"--listen-client-urls", "unixs://localhost:2379"}, "is not a URL of the form http://host:port or https://host:port");
    assertError(new String[] {"--logger", "logrus"}, "--logger must be 'zap'");
    assertError(
        new String[] {"--name", "s4", "--initial-cluster", "s1=http://localhost:2380"},
        "couldn't find local name \"s4\"");
    assertError(
        new String[] {"--initial-cluster", "default=http://localhost:2381"},
        "--initial-advertise-peer-urls is [http://localhost:2380]");
    assertError(
        new String[] {"--initial-cluster", "default=http://localhost:2380,b=http://localhost:2380"},
        "duplicate url");
    assertError(new String[] {"--initial-cluster", "default"}, "entry 'default' is not name=http://host:port");
    assertError(new String[] {"--name", "a", "--name", "b"}, "given twice");
  }

  @Test
  void clientTlsFromFlagsAndHttpsUrlsKeepTheirScheme(@TempDir Path dir) throws IOException {
    Path cert = touch(dir, "server.pem");
    Path key = touch(dir, "server-key.pem");
    Path ca = touch(dir, "ca.pem");
    ServerConfig c =
        FlagParser.parse(
            new String[] {
              "--listen-client-urls=https://127.0.0.1:2379,http://127.0.0.1:12379",
              "--advertise-client-urls=https://127.0.0.1:2379",
              "--cert-file", cert.toString(), "--key-file", key.toString(),
              "--trusted-ca-file", ca.toString(), "--client-cert-auth"
            },
            Map.of());
    assertThat(c.listenClientUrls())
        .containsExactly(URI.create("https://127.0.0.1:2379"), URI.create("http://127.0.0.1:12379"));
    assertThat(c.clientTls()).isEqualTo(new TlsInfo(cert, key, ca, true, false));
    assertThat(c.peerTls()).isEqualTo(TlsInfo.NONE);
    assertThat(c.warnings()).isEmpty();
  }

  @Test
  void peerTlsFromEtcdVariablesCoversEveryPeerUrl(@TempDir Path dir) throws IOException {
    Path cert = touch(dir, "peer.pem");
    Path key = touch(dir, "peer-key.pem");
    Path ca = touch(dir, "ca.pem");
    ServerConfig c =
        FlagParser.parse(
            new String[] {"--name", "a"},
            Map.of(
                "ETCD_LISTEN_PEER_URLS", "https://127.0.0.1:2380",
                "ETCD_INITIAL_ADVERTISE_PEER_URLS", "https://127.0.0.1:2380",
                "ETCD_INITIAL_CLUSTER", "a=https://127.0.0.1:2380,b=https://127.0.0.1:22380",
                "ETCD_PEER_CERT_FILE", cert.toString(),
                "ETCD_PEER_KEY_FILE", key.toString(),
                "ETCD_PEER_TRUSTED_CA_FILE", ca.toString(),
                "ETCD_PEER_CLIENT_CERT_AUTH", "true"));
    assertThat(c.peerTls()).isEqualTo(new TlsInfo(cert, key, ca, true, false));
    assertThat(c.initialCluster().get("b")).containsExactly(URI.create("https://127.0.0.1:22380"));
    assertThat(c.clientTls().enabled()).isFalse();
  }

  @Test
  void autoTlsNeedsNoFilesAndGivenFilesWinOverIt(@TempDir Path dir) throws IOException {
    ServerConfig auto =
        FlagParser.parse(new String[] {"--data-dir", dir.toString(), "--listen-client-urls=https://127.0.0.1:2379", "--auto-tls"}, Map.of());
    assertThat(auto.clientTls()).isEqualTo(new TlsInfo(null, null, null, false, true));
    assertThat(auto.autoTlsDir(false)).isEqualTo(dir.resolve("fixtures/client"));
    assertThat(auto.autoTlsDir(true)).isEqualTo(dir.resolve("fixtures/peer"));

    Path cert = touch(dir, "c.pem");
    Path key = touch(dir, "k.pem");
    ServerConfig files =
        FlagParser.parse(
            new String[] {"--listen-client-urls=https://127.0.0.1:2379", "--auto-tls", "--cert-file=" + cert, "--key-file=" + key},
            Map.of());
    assertThat(files.clientTls().autoTls()).isFalse();
    assertThat(files.warnings()).containsExactly("ignoring --auto-tls since --cert-file and --key-file are given");
  }

  @Test
  void aCertificateWithoutHttpsUrlsIsAWarning(@TempDir Path dir) throws IOException {
    ServerConfig c =
        FlagParser.parse(new String[] {"--peer-cert-file", touch(dir, "p.pem").toString(), "--peer-key-file", touch(dir, "k.pem").toString()}, Map.of());
    assertThat(c.warnings()).containsExactly("--peer-cert-file is set but no peer URL is https; the port serves plaintext");
  }

  @Test
  void inconsistentTlsFlagsGetOneClearLine(@TempDir Path dir) throws IOException {
    String cert = touch(dir, "c.pem").toString();
    String key = touch(dir, "k.pem").toString();
    assertError(
        new String[] {"--listen-client-urls", "https://localhost:2379"},
        "--listen-client-urls: 'https://localhost:2379' is https but no certificate is configured: give --cert-file and --key-file, or --auto-tls");
    assertError(
        new String[] {"--initial-advertise-peer-urls", "https://localhost:2380", "--listen-peer-urls", "https://localhost:2380"},
        "--initial-advertise-peer-urls: 'https://localhost:2380' is https but no certificate is configured: give --peer-cert-file and --peer-key-file, or --peer-auto-tls");
    assertError(
        new String[] {"--initial-cluster", "default=http://localhost:2380,b=https://localhost:2381"},
        "--initial-cluster: 'https://localhost:2381' is https but no certificate");
    assertError(new String[] {"--cert-file", cert}, "--cert-file is set but --key-file is not; give both");
    assertError(new String[] {"--peer-key-file", key}, "--peer-key-file is set but --peer-cert-file is not; give both");
    assertError(
        new String[] {"--cert-file", cert, "--key-file", key, "--client-cert-auth"},
        "--client-cert-auth needs --trusted-ca-file");
    assertError(new String[] {"--peer-auto-tls", "--peer-client-cert-auth"}, "--peer-client-cert-auth needs --peer-trusted-ca-file");
    assertError(new String[] {"--cert-file", dir.resolve("missing.pem").toString(), "--key-file", key}, "--cert-file: cannot read");
    assertError(new String[] {"--auto-tls=maybe"}, "--auto-tls must be true or false, got 'maybe'");
  }

  private static Path touch(Path dir, String name) throws IOException {
    return Files.writeString(dir.resolve(name), "pem");
  }

  private static void assertError(String[] args, String fragment) {
    assertThatThrownBy(() -> FlagParser.parse(args, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(fragment)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void usageListsEveryFlagAndItsVariable() {
    assertThat(FlagParser.usage()).contains("--initial-cluster-token", "--quota-backend-bytes", "--enable-v2");
    assertThat(FlagParser.envName("initial-cluster")).isEqualTo("ETCD_INITIAL_CLUSTER");
    assertThat(FlagParser.wantsHelp(new String[] {"--name", "x", "-h"})).isTrue();
  }
}
