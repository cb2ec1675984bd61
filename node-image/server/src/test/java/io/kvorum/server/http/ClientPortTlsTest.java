package io.kvorum.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.kvorum.server.api.ClientIdentity;
import io.kvorum.server.config.TlsInfo;
import io.kvorum.server.tls.GrpcChannels;
import io.kvorum.server.tls.PortTls;
import io.kvorum.server.tls.TestPki;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client port over TLS with client certificates, against a recording member. */
class ClientPortTlsTest {
  @TempDir Path dir;
  final RecordingEtcdNode node = new RecordingEtcdNode();
  TestPki pki;
  TestPki otherCa;
  TestPki.Files server;
  TestPki.Files alice;
  TestPki.Files mallory;
  ClientPort port;
  URI url;

  @BeforeEach
  void start() throws IOException {
    pki = new TestPki(dir.resolve("pki"));
    otherCa = new TestPki(dir.resolve("other"));
    server = pki.issue("member", "server");
    alice = pki.issue("alice", "alice");
    mallory = otherCa.issue("mallory", "mallory");
    PortTls tls = PortTls.load(new TlsInfo(server.cert(), server.key(), pki.caFile, true, false), dir.resolve("unused"), List.of());
    port = new ClientPort(node, List.of("https://127.0.0.1:0"), List.of("http://127.0.0.1:0"), ClientPortOptions.defaults(), tls);
    port.start();
    url = URI.create("https://127.0.0.1:" + port.boundAddresses().getFirst().getPort());
  }

  @AfterEach
  void stop() {
    if (port != null) {
      port.close();
    }
  }

  /** One put over gRPC (HTTP/2 by ALPN) with {@code client}'s certificate; returns the CN the member saw. */
  private Optional<String> grpcPut(Path caFile, TestPki.Files client) throws IOException {
    AtomicReference<Optional<String>> seen = new AtomicReference<>();
    node.answer(
        "put",
        (PutRequest r) -> {
          seen.set(ClientIdentity.commonName());
          return PutResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).build();
        });
    PortTls dialing = PortTls.forDialing(caFile, client == null ? null : client.cert(), client == null ? null : client.key());
    ManagedChannel channel = GrpcChannels.of(dialing).builder(url).build();
    try {
      KVGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build());
      return seen.get();
    } finally {
      channel.shutdownNow();
    }
  }

  private HttpResponse<String> https(TestPki.Files client, HttpRequest.Builder request) throws Exception {
    HttpClient http =
        HttpClient.newBuilder()
            .sslContext(TestPki.sslContext(pki.caFile, client))
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .build();
    try (http) {
      return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  @Test
  void aClientWithACertificateOfTheTrustedCaIsServedAndNamedByItsCommonName() throws IOException {
    assertThat(grpcPut(pki.caFile, alice)).contains("alice");
  }

  @Test
  void aCallsDeadlineIsLeftToTheClientSoAFinishedCallKeepsNoTimer() throws IOException {
    // The HTTP server's gRPC bridge (TLS ports) would keep a timer per call until its deadline.
    AtomicReference<Deadline> serverSide = new AtomicReference<>();
    node.answer("put", (PutRequest r) -> {
      serverSide.set(Context.current().getDeadline());
      return PutResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).build();
    });
    ManagedChannel channel = GrpcChannels.of(PortTls.forDialing(pki.caFile, alice.cert(), alice.key())).builder(url).build();
    try {
      KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build());
    } finally {
      channel.shutdownNow();
    }
    assertThat(node.requestsOf("put")).hasSize(1);
    assertThat(serverSide.get()).as("the member's context of a call the client gave 30 s").isNull();
  }

  @Test
  void aClientWithoutACertificateOrWithOneOfAnotherCaIsRefused() {
    assertThatThrownBy(() -> grpcPut(pki.caFile, null)).isInstanceOf(StatusRuntimeException.class);
    assertThatThrownBy(() -> grpcPut(pki.caFile, mallory)).isInstanceOf(StatusRuntimeException.class);
    assertThat(node.requestsOf("put")).isEmpty();
  }

  @Test
  void theHttpEndpointsAndTheGatewayAreServedOverHttpsToo() throws Exception {
    node.answer("put", (PutRequest r) -> PutResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).build());
    HttpResponse<String> health = https(alice, HttpRequest.newBuilder(url.resolve("/health")));
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"health\":\"true\"");
    HttpResponse<String> put =
        https(alice, HttpRequest.newBuilder(url.resolve("/v3/kv/put")).POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"Zm9v\",\"value\":\"YmFy\"}")));
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(((PutRequest) node.requestsOf("put").getFirst()).getValue().toStringUtf8()).isEqualTo("bar");
    assertThatThrownBy(() -> https(null, HttpRequest.newBuilder(url.resolve("/health")))).isInstanceOf(IOException.class);
  }

  @Test
  void theMetricsListenerAnswersProbesWithoutACertificateAndServesNothingElse() throws Exception {
    URI metrics = URI.create("http://127.0.0.1:" + port.boundMetricsAddresses().getFirst().getPort());
    HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build();
    try (plain) {
      assertThat(plain.send(HttpRequest.newBuilder(metrics.resolve("/readyz")).build(), HttpResponse.BodyHandlers.ofString()).body())
          .isEqualTo("ok");
      assertThat(plain.send(HttpRequest.newBuilder(metrics.resolve("/health")).build(), HttpResponse.BodyHandlers.ofString()).body())
          .contains("\"health\":\"true\"");
      assertThat(plain.send(HttpRequest.newBuilder(metrics.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body())
          .contains("etcd_server_is_leader");
      HttpResponse<String> gateway =
          plain.send(
              HttpRequest.newBuilder(metrics.resolve("/v3/kv/put")).POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"Zm9v\",\"value\":\"YmFy\"}")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(gateway.statusCode()).as("no JSON gateway on the metrics listener").isEqualTo(404);
    }
    assertThat(node.requestsOf("put")).isEmpty();
    assertThatThrownBy(() -> https(null, HttpRequest.newBuilder(url.resolve("/readyz"))))
        .as("the client port still wants a certificate").isInstanceOf(IOException.class);
  }

  @Test
  void renewedCertificateAndCaFilesApplyToTheNextHandshakeWithoutARestart() throws Exception {
    assertThat(serverCertificate().getSubjectX500Principal().getName()).contains("CN=member");

    pki.reissueInPlace("member-renewed", server);
    assertThat(eventually(() -> serverCertificate().getSubjectX500Principal().getName().contains("CN=member-renewed")))
        .as("the renewed certificate is served")
        .isTrue();

    // The server's trusted CA file now names the other CA: alice is refused from now on, mallory
    // served. Both keep trusting the server through a copy of the CA that signed it.
    Path serverCa = Files.copy(pki.caFile, dir.resolve("server-ca.pem"));
    Path tmp = Files.copy(otherCa.caFile, dir.resolve("ca.tmp"));
    Files.move(tmp, pki.caFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    assertThat(eventually(() -> putSucceeds(serverCa, mallory))).as("mallory is served").isTrue();
    assertThat(grpcPut(serverCa, mallory)).contains("mallory");
    assertThat(putSucceeds(serverCa, alice)).as("alice is refused").isFalse();
  }

  private boolean putSucceeds(Path caFile, TestPki.Files client) throws IOException {
    try {
      grpcPut(caFile, client);
      return true;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  private X509Certificate serverCertificate() throws Exception {
    HttpResponse<String> r = https(alice, HttpRequest.newBuilder(url.resolve("/health")));
    return (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
  }

  interface Check {
    boolean holds() throws Exception;
  }

  private static boolean eventually(Check check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (check.holds()) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }
}
