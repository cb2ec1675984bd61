package io.kvorum.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How a plaintext client port tells gRPC (HTTP/2) from HTTP/1 by a connection's first bytes, on
 * raw sockets so the bytes arrive exactly as written.
 */
class PlaintextPortSplitterTest {
  static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  /** An empty SETTINGS frame: length 0, type 4, flags 0, stream 0. */
  static final byte[] EMPTY_SETTINGS = {0, 0, 0, 4, 0, 0, 0, 0, 0};

  static RecordingEtcdNode node = new RecordingEtcdNode();
  static ClientPort port;
  static int p;

  @BeforeAll
  static void start() {
    node.health = EtcdNode.Health.ok();
    port = new ClientPort(node, List.of("http://127.0.0.1:0"), ClientPortOptions.defaults());
    port.start();
    p = port.boundAddresses().getFirst().getPort();
  }

  @AfterAll
  static void stop() {
    port.close();
  }

  @Test
  void anHttp1RequestThatArrivesAByteAtATimeIsStillServed() throws Exception {
    byte[] request = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    try (Socket socket = new Socket("127.0.0.1", p)) {
      socket.setSoTimeout(10_000);
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      for (byte b : request) {
        out.write(b);
        out.flush();
        Thread.sleep(2);
      }
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 200").contains("\"health\":\"true\"");
    }
  }

  @Test
  void anHttp2PrefaceSplitAcrossWritesReachesGrpcsServer() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", p)) {
      socket.setSoTimeout(10_000);
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      out.write(Arrays.copyOf(PREFACE, 5));
      out.flush();
      Thread.sleep(50);
      out.write(Arrays.copyOfRange(PREFACE, 5, PREFACE.length));
      out.write(EMPTY_SETTINGS);
      out.flush();
      byte[] frameHeader = readFully(socket.getInputStream(), 9);
      assertThat(frameHeader[3]).as("the server's first frame is its SETTINGS (type 4), HTTP/2's answer to the preface").isEqualTo((byte) 4);
    }
  }

  @Test
  void manyHttp1RequestsOnOneKeptAliveConnectionAreAllRelayed() throws Exception {
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      for (int i = 0; i < 50; i++) {
        HttpResponse<String> health = http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + "/health")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void aLargeHttp1BodyIsRelayedWhole() throws Exception {
    // 3 MiB of JSON is over the gateway's limit: the whole body crosses the relay and the
    // gateway answers with its own error, not a cut connection.
    String body = "{\"key\":\"" + "A".repeat(3 * 1024 * 1024) + "\"}";
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      HttpResponse<String> answer = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + "/v3/kv/put"))
              .timeout(Duration.ofSeconds(30))
              .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isBetween(400, 499);
      assertThat(answer.body()).contains("too large");
    }
  }

  @Test
  void closingThePortEndsEveryKindOfConnectionPromptly() throws Exception {
    RecordingEtcdNode stuck = new RecordingEtcdNode();
    stuck.health = EtcdNode.Health.ok();
    stuck.answerAsync("range", (RangeRequest r) -> new CompletableFuture<RangeResponse>());
    ClientPort own = new ClientPort(stuck, List.of("http://127.0.0.1:0"), ClientPortOptions.defaults());
    own.start();
    int ownPort = own.boundAddresses().getFirst().getPort();
    ManagedChannel grpc = ManagedChannelBuilder.forAddress("127.0.0.1", ownPort).usePlaintext().build();
    // The JDK's client keeps its HTTP/1.1 connection open after the answer, as a prober does.
    HttpClient keptAlive = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (Socket silent = new Socket("127.0.0.1", ownPort)) {
      assertThat(keptAlive.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ownPort + "/health")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      KVGrpc.newStub(grpc).range(RangeRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8("k")).build(), new StreamObserver<>() {
        public void onNext(RangeResponse value) {}
        public void onError(Throwable t) {}
        public void onCompleted() {}
      });
      while (stuck.requestsOf("range").isEmpty()) {
        Thread.sleep(10);
      }

      long start = System.nanoTime();
      own.close();
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("a kept-alive HTTP/1 connection, one that said nothing and an unanswered call do not hold the port open")
          .isLessThan(Duration.ofSeconds(10));
      silent.setSoTimeout(10_000);
      assertThat(silent.getInputStream().read()).as("the connection that said nothing is closed").isEqualTo(-1);
    } finally {
      grpc.shutdownNow();
      keptAlive.close();
    }
  }

  private static byte[] readFully(InputStream in, int n) throws IOException {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    while (read.size() < n) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + read.size() + " bytes");
      }
      read.write(b);
    }
    return read.toByteArray();
  }
}
