package io.kvorum.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.kvorum.server.api.EtcdException;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP half of the client port (endpoints and JSON gateway), against a recording member. */
class ClientPortHttpTest {
  static RecordingEtcdNode node = new RecordingEtcdNode();
  static ClientPort port;
  static String base;
  static HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @BeforeAll
  static void start() {
    port = new ClientPort(node, List.of("http://127.0.0.1:0"), ClientPortOptions.defaults());
    port.start();
    base = "http://127.0.0.1:" + port.boundAddresses().getFirst().getPort();
  }

  @AfterAll
  static void stop() {
    port.close();
  }

  @BeforeEach
  void resetNode() {
    node.reset();
    node.health = EtcdNode.Health.ok();
    node.info = withClusterVersion(null, RecordingEtcdNode.HEADER.getMemberId());
  }

  static EtcdNode.NodeInfo withClusterVersion(String clusterVersion, long leader) {
    EtcdNode.NodeInfo i = node.info;
    return new EtcdNode.NodeInfo(i.clusterId(), i.memberId(), i.name(), "1.2.3", clusterVersion,
        leader, i.raftTerm(), i.commitIndex(), i.appliedIndex(), i.learner(), true, 0);
  }

  static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void versionSaysNotDecidedUntilTheClusterVersionIsKnown() throws Exception {
    HttpResponse<String> before = get("/version");
    node.info = withClusterVersion("1.2.0", node.info.memberId());
    HttpResponse<String> after = get("/version");

    assertThat(before.statusCode()).isEqualTo(200);
    assertThat(before.body()).isEqualTo("{\"etcdserver\":\"1.2.3\",\"etcdcluster\":\"not_decided\"}");
    assertThat(after.body()).isEqualTo("{\"etcdserver\":\"1.2.3\",\"etcdcluster\":\"1.2.0\"}");
  }

  @Test
  void healthIs200WhenHealthyAnd503WithTheReasonWhenNot() throws Exception {
    HttpResponse<String> healthy = get("/health");
    node.health = new EtcdNode.Health(false, "RAFT NO LEADER");
    HttpResponse<String> unhealthy = get("/health");

    assertThat(healthy.statusCode()).isEqualTo(200);
    assertThat(healthy.body()).isEqualTo("{\"health\":\"true\",\"reason\":\"\"}");
    assertThat(unhealthy.statusCode()).isEqualTo(503);
    assertThat(unhealthy.body()).isEqualTo("{\"health\":\"false\",\"reason\":\"RAFT NO LEADER\"}");
  }

  @Test
  void livezAndReadyz() throws Exception {
    assertThat(get("/livez").body()).isEqualTo("ok");
    assertThat(get("/readyz").statusCode()).isEqualTo(200);

    node.info = withClusterVersion(null, 0);
    HttpResponse<String> noLeader = get("/readyz");
    assertThat(noLeader.statusCode()).isEqualTo(503);
    assertThat(noLeader.body()).contains("no leader");
    assertThat(get("/livez").statusCode()).isEqualTo(200);
  }

  @Test
  void aDrainedMemberIsNotReadyButAlive() throws Exception {
    EtcdNode.NodeInfo i = node.info;
    node.info = new EtcdNode.NodeInfo(i.clusterId(), i.memberId(), i.name(), i.serverVersion(), i.clusterVersion(),
        i.leaderId(), i.raftTerm(), i.commitIndex(), i.appliedIndex(), i.learner(), true, 42);

    HttpResponse<String> drained = get("/readyz");

    assertThat(drained.statusCode()).isEqualTo(503);
    assertThat(drained.body()).contains("drained for another 42 s");
    assertThat(get("/livez").statusCode()).isEqualTo(200);
  }

  @Test
  void metricsAreThePrometheusTextOfTheMembersRegistry() throws Exception {
    HttpResponse<String> metrics = get("/metrics");

    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("content-type")).hasValueSatisfying(
        ct -> assertThat(ct).startsWith("text/plain"));
    assertThat(metrics.body()).contains("# TYPE etcd_server_is_leader gauge");
    assertThat(metrics.body().lines()).contains("etcd_server_is_leader 1"); // as etcd, not 1.0
  }

  @Test
  void onlyWholeSampleValuesLoseTheirPointZero() {
    String exposition =
        "# HELP x_total A count. 1.0\nx_total 3.0\ny 0.25\nz{le=\"1.0\"} 12.0\nw 1.0E7\n";

    assertThat(HttpEndpoints.withIntegralValuesAsEtcd(exposition))
        .isEqualTo("# HELP x_total A count. 1.0\nx_total 3\ny 0.25\nz{le=\"1.0\"} 12\nw 1.0E7\n");
  }

  @Test
  void theSeedsGatewayPutReachesTheMemberAndAnswersInEtcdsJson() throws Exception {
    node.answer("put", (PutRequest r) -> PutResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).build());

    HttpResponse<String> response = post("/v3/kv/put", "{\"key\": \"Zm9v\", \"value\": \"YmFy\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    PutRequest seen = (PutRequest) node.requestsOf("put").getFirst();
    assertThat(seen.getKey().toStringUtf8()).isEqualTo("foo");
    assertThat(seen.getValue().toStringUtf8()).isEqualTo("bar");
    assertThat(response.body())
        .isEqualTo(
            "{\"header\":{\"cluster_id\":\"" + Long.toUnsignedString(RecordingEtcdNode.HEADER.getClusterId())
                + "\",\"member_id\":\"" + Long.toUnsignedString(RecordingEtcdNode.HEADER.getMemberId())
                + "\",\"revision\":\"42\",\"raft_term\":\"3\"}}");
  }

  @Test
  void rangeAcceptsProtoAndCamelNamesAndAnswersWithProtoNames() throws Exception {
    node.answer(
        "range",
        (RangeRequest r) ->
            RangeResponse.newBuilder()
                .setHeader(RecordingEtcdNode.HEADER)
                .addKvs(
                    KeyValue.newBuilder()
                        .setKey(ByteString.copyFromUtf8("foo"))
                        .setValue(ByteString.copyFromUtf8("bar"))
                        .setCreateRevision(2)
                        .setModRevision(5)
                        .setVersion(3))
                .setCount(1)
                .build());

    HttpResponse<String> snake =
        post("/v3/kv/range", "{\"key\":\"" + b64("foo") + "\",\"range_end\":\"" + b64("fop") + "\",\"count_only\":false,\"limit\":\"10\"}");
    HttpResponse<String> camel = post("/v3/kv/range", "{\"key\":\"" + b64("foo") + "\",\"rangeEnd\":\"" + b64("fop") + "\",\"limit\":10}");

    assertThat(snake.statusCode()).isEqualTo(200);
    assertThat(node.requestsOf("range")).hasSize(2).allSatisfy(r -> {
      RangeRequest q = (RangeRequest) r;
      assertThat(q.getRangeEnd().toStringUtf8()).isEqualTo("fop");
      assertThat(q.getLimit()).isEqualTo(10);
    });
    JsonObject kv = new JsonObject(snake.body()).getJsonArray("kvs").getJsonObject(0);
    assertThat(kv.getString("create_revision")).isEqualTo("2");
    assertThat(kv.getString("mod_revision")).isEqualTo("5");
    assertThat(kv.getString("value")).isEqualTo(b64("bar"));
    assertThat(new JsonObject(snake.body()).getString("count")).isEqualTo("1");
    assertThat(camel.body()).isEqualTo(snake.body());
  }

  @Test
  void malformedJsonIs400InTheGatewaysErrorShapeAndTheMemberSeesNothing() throws Exception {
    HttpResponse<String> broken = post("/v3/kv/put", "{\"key\": ");
    HttpResponse<String> notBase64 = post("/v3/kv/put", "{\"key\": \"***\"}");
    HttpResponse<String> unknownField = post("/v3/kv/put", "{\"kee\": \"Zm9v\"}");

    for (HttpResponse<String> r : List.of(broken, notBase64, unknownField)) {
      assertThat(r.statusCode()).isEqualTo(400);
      JsonObject error = new JsonObject(r.body());
      assertThat(error.getInteger("code")).isEqualTo(3);
      assertThat(error.getString("error")).startsWith("invalid JSON for etcdserverpb.PutRequest");
      assertThat(error.getString("message")).isEqualTo(error.getString("error"));
    }
    assertThat(node.calls).isEmpty();
  }

  @Test
  void anEtcdErrorMapsToGrpcGatewaysHttpStatus() throws Exception {
    node.fail("leaseRevoke", new EtcdException(Status.Code.NOT_FOUND, "etcdserver: requested lease not found"));

    HttpResponse<String> response = post("/v3/lease/revoke", "{\"ID\":\"99\"}");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(response.body()).getString("message"))
        .isEqualTo("etcdserver: requested lease not found");
    assertThat(new JsonObject(response.body()).getInteger("code")).isEqualTo(5);
  }

  @Test
  void anEmptyBodyIsAnEmptyRequestAndLeaseLeasesAnswersWithIds() throws Exception {
    node.answer("leaseLeases", ignored -> new EtcdNode.LeaseList(RecordingEtcdNode.HEADER, List.of(7L)));

    HttpResponse<String> response = post("/v3/lease/leases", "");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(response.body()).getJsonArray("leases").getJsonObject(0).getString("ID"))
        .isEqualTo("7");
  }

  @Test
  void downgradeIsRoutedWithItsActionByName() throws Exception {
    node.answer(
        "downgrade",
        (DowngradeRequest r) -> DowngradeResponse.newBuilder().setVersion("1.1.0").build());

    HttpResponse<String> response =
        post("/v3/maintenance/downgrade", "{\"action\": \"VALIDATE\", \"version\": \"1.0.0\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(response.body()).getString("version")).isEqualTo("1.1.0");
    assertThat(node.requestsOf("downgrade"))
        .containsExactly(
            DowngradeRequest.newBuilder()
                .setAction(DowngradeRequest.DowngradeAction.VALIDATE)
                .setVersion("1.0.0")
                .build());
  }

  @Test
  void v3betaAndV3alphaAreNotServedAndSaySo() throws Exception {
    HttpResponse<String> beta = post("/v3beta/kv/put", "{\"key\": \"Zm9v\", \"value\": \"YmFy\"}");
    HttpResponse<String> alpha = post("/v3alpha/kv/range", "{}");

    assertThat(beta.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(beta.body()).getString("message"))
        .contains("/v3beta was removed in etcd 3.5")
        .contains("use /v3/kv/put");
    assertThat(alpha.statusCode()).isEqualTo(404);
    assertThat(node.calls).isEmpty();
  }

  @Test
  void unknownGatewayPathsAndWrongMethodsGetClearErrors() throws Exception {
    HttpResponse<String> unknown = post("/v3/kv/frobnicate", "{}");
    HttpResponse<String> getOnPut = get("/v3/kv/put");
    HttpResponse<String> nowhere = get("/nowhere");

    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("no etcd v3 gateway endpoint /v3/kv/frobnicate");
    assertThat(getOnPut.statusCode()).isEqualTo(405);
    assertThat(getOnPut.body()).contains("takes POST /v3/kv/put");
    assertThat(nowhere.statusCode()).isEqualTo(404);
  }

  @Test
  void watchStreamsOneResultLinePerResponse() throws Exception {
    HttpResponse<Stream<String>> response =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/v3/watch"))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(
                    "{\"create_request\":{\"key\":\"" + b64("foo") + "\",\"prev_kv\":true}}"))
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    ClientPortGrpcTest.awaitTrue(() -> node.watchRequests.size() == 1);
    assertThat(((WatchCreateRequest) node.watchRequests.getFirst()).getPrevKv()).isTrue();

    node.watchSink.accept(WatchResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).setCreated(true).build());
    node.watchSink.accept(WatchResponse.newBuilder().setWatchId(0).addEvents(
        io.etcd.jetcd.api.Event.newBuilder().setKv(KeyValue.newBuilder().setKey(ByteString.copyFromUtf8("foo")).setModRevision(43))).build());

    try (Stream<String> lines = response.body()) {
      Iterator<String> it = lines.iterator();
      assertThat(new JsonObject(it.next()).getJsonObject("result").getBoolean("created")).isTrue();
      JsonObject event = new JsonObject(it.next()).getJsonObject("result").getJsonArray("events").getJsonObject(0);
      assertThat(event.getJsonObject("kv").getString("mod_revision")).isEqualTo("43");
    }
    ClientPortGrpcTest.awaitTrue(() -> node.watchClosed);
  }

  @Test
  void snapshotThroughTheGatewayIsResultLinesWithTheDigestLast() throws Exception {
    byte[] database = new byte[40_000];
    new Random(2).nextBytes(database);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(database);
    byte[] stream = new byte[database.length + 32];
    System.arraycopy(database, 0, stream, 0, database.length);
    System.arraycopy(digest, 0, stream, database.length, 32);
    node.answer("snapshot", ignored -> new ByteArrayInputStream(stream));

    List<String> lines = post("/v3/maintenance/snapshot", "{}").body().lines().toList();

    assertThat(lines).hasSize(3);
    assertThat(new JsonObject(lines.get(0)).getJsonObject("result").getString("remaining_bytes"))
        .isEqualTo(String.valueOf(40_000 - 32_768));
    assertThat(Base64.getDecoder().decode(new JsonObject(lines.get(2)).getJsonObject("result").getString("blob")))
        .isEqualTo(digest);
  }

  @Test
  void garbageOnThePortClosesThatConnectionAndTheServerKeepsServing() throws Exception {
    int p = port.boundAddresses().getFirst().getPort();
    byte[] junk = new byte[4096];
    new Random(3).nextBytes(junk);
    for (byte[] payload :
        List.of(
            junk,
            "GARBAGE / NOTHTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
            concat("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII), junk))) {
      try (Socket socket = new Socket("127.0.0.1", p)) {
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        out.write(payload);
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        try {
          while (in.read(buffer) >= 0) {
            // drain until the server closes
          }
        } catch (IOException closedOrReset) {
          // a reset is as good as a close
        }
      }
    }

    assertThat(get("/livez").body()).isEqualTo("ok");
    node.answer("put", (PutRequest r) -> PutResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).build());
    assertThat(post("/v3/kv/put", "{\"key\":\"Zm9v\"}").statusCode()).isEqualTo(200);
  }

  @Test
  void badListenUrlsAndBusyPortsFailWithClearErrors() throws Exception {
    assertThatThrownBy(() -> new ClientPort(node, List.of("https://127.0.0.1:2379"), ClientPortOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is https but the client port has no certificate");
    assertThatThrownBy(() -> new ClientPort(node, List.of("unix://kvorum.sock:0"), ClientPortOptions.defaults()))
        .hasMessageContaining("must start with http:// or https://");
    assertThatThrownBy(() -> new ClientPort(node, List.of("http://127.0.0.1"), ClientPortOptions.defaults()))
        .hasMessageContaining("needs a host and a port");
    try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      ClientPort second =
          new ClientPort(node, List.of("http://127.0.0.1:" + busy.getLocalPort()), ClientPortOptions.defaults());
      assertThatThrownBy(second::start)
          .hasMessageContaining("cannot listen for clients on http://127.0.0.1:" + busy.getLocalPort());
    }
  }

  @Test
  void oneServerPerListenUrl() {
    ClientPort two = new ClientPort(node, List.of("http://127.0.0.1:0", "http://localhost:0"), ClientPortOptions.defaults());
    two.start();
    try {
      List<InetSocketAddress> bound = two.boundAddresses();
      assertThat(bound).hasSize(2);
      assertThat(bound).allSatisfy(a -> assertThat(a.getPort()).isPositive());
      assertThat(bound.get(0).getPort()).isNotEqualTo(bound.get(1).getPort());
    } finally {
      two.close();
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = new byte[a.length + b.length];
    System.arraycopy(a, 0, c, 0, a.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
