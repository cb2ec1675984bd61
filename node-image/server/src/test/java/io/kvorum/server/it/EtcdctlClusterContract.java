package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A 3-member cluster driven by the real etcdctl 3.4 and curl through the seeds' commands and
 * the rest of etcdctl's client surface. Every output is checked, not only exit codes.
 *
 * <p>Each test uses its own key prefix, so the tests do not depend on their order. Subclasses
 * say which cluster: kvorum (the system under test) or etcd 3.4 (the reference the assertions
 * were written against).
 */
public abstract class EtcdctlClusterContract extends ClusterContract {
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  Etcdctl.Result ctl(String... args) {
    return Etcdctl.run(cluster.clientEndpoint(0), args);
  }

  static HttpResponse<String> curl(String url, String postBody) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
    if (postBody != null) {
      request.POST(HttpRequest.BodyPublishers.ofString(postBody));
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  int leaderIndex() throws Exception {
    for (int i = 0; i < cluster.clientEndpoints().size(); i++) {
      String metrics = curl("http://" + cluster.clientEndpoint(i) + "/metrics", null).body();
      if (metrics.lines().anyMatch(l -> l.equals("etcd_server_is_leader 1"))) {
        return i;
      }
    }
    throw new AssertionError("no member reports etcd_server_is_leader 1");
  }

  /** Member id (hex) per endpoint, from {@code endpoint status}. */
  List<String> memberIds() {
    List<String> ids = new ArrayList<>();
    for (String endpoint : cluster.clientEndpoints()) {
      String line = Etcdctl.run(endpoint, "endpoint", "status").ok().out().trim();
      ids.add(line.split(", ")[1]);
    }
    return ids;
  }

  // --- the seeds' commands

  @Test
  void endpointHealthReportsEveryMemberHealthy() {
    Etcdctl.Result health = Etcdctl.run(cluster.allEndpoints(), "endpoint", "health").ok();

    String printed = health.out() + health.err(); // etcdctl 3.4 prints health on stderr
    for (String endpoint : cluster.clientEndpoints()) {
      assertThat(printed)
          .containsPattern(
              Pattern.quote(endpoint) + " is healthy: successfully committed proposal: took = ");
    }
  }

  @Test
  void versionAnswersServerAndClusterVersion() throws Exception {
    for (String endpoint : cluster.clientEndpoints()) {
      HttpResponse<String> version = curl("http://" + endpoint + "/version", null);
      assertThat(version.statusCode()).isEqualTo(200);
      assertThat(version.body())
          .matches("\\{\"etcdserver\":\"\\d+\\.\\d+\\.\\d+\",\"etcdcluster\":\"\\d+\\.\\d+\\.0\"}");
    }
  }

  @Test
  void exactlyOneMemberSaysItIsLeaderInMetrics() throws Exception {
    int leaders = 0;
    for (String endpoint : cluster.clientEndpoints()) {
      String metrics = curl("http://" + endpoint + "/metrics", null).body();
      assertThat(metrics).contains("# TYPE etcd_server_is_leader gauge");
      assertThat(metrics.lines()).contains("etcd_server_has_leader 1");
      if (metrics.lines().anyMatch(l -> l.equals("etcd_server_is_leader 1"))) {
        leaders++;
      } else {
        assertThat(metrics.lines()).contains("etcd_server_is_leader 0");
      }
    }
    assertThat(leaders).isEqualTo(1);
  }

  @Test
  void snapshotSaveFromTheLeader() throws Exception {
    ctl("put", "snap/a", "1").ok();
    Path file = dir.resolve("backup.db");

    Etcdctl.Result save =
        Etcdctl.run(cluster.clientEndpoint(leaderIndex()), "snapshot", "save", file.toString()).ok();

    assertThat(save.out()).contains("Snapshot saved at " + file);
    assertThat(Files.size(file)).isGreaterThan(32);
  }

  @Test
  void theSeedsGatewayPutWritesAKeyEtcdctlReads() throws Exception {
    HttpResponse<String> put =
        curl(
            "http://" + cluster.clientEndpoint(1) + "/v3/kv/put",
            "{\"key\": \"Z3cvZm9v\", \"value\": \"YmFy\"}"); // gw/foo = bar

    assertThat(put.statusCode()).isEqualTo(200);
    JsonObject header = new JsonObject(put.body()).getJsonObject("header");
    assertThat(header.fieldNames()).contains("cluster_id", "member_id", "revision", "raft_term");
    assertThat(header.getString("revision")).matches("\\d+");
    assertThat(ctl("get", "gw/foo").ok().out()).isEqualTo("gw/foo\nbar\n");
  }

  @Test
  void gatewayCountOnlyRangeAndMalformedJson() throws Exception {
    ctl("put", "gwc/a", "1").ok();
    ctl("put", "gwc/b", "2").ok();
    String range = "http://" + cluster.clientEndpoint(2) + "/v3/kv/range";

    // gwc/ .. gwc0 is the prefix gwc/ (range_end = prefix with its last byte + 1).
    HttpResponse<String> count =
        curl(range, "{\"key\":\"Z3djLw==\",\"range_end\":\"Z3djMA==\",\"count_only\":true}");
    HttpResponse<String> broken = curl(range, "{\"key\": ");

    assertThat(count.statusCode()).isEqualTo(200);
    JsonObject answer = new JsonObject(count.body());
    assertThat(answer.getString("count")).isEqualTo("2");
    assertThat(answer.containsKey("kvs")).isFalse();
    assertThat(broken.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(broken.body()).getInteger("code")).isEqualTo(3);
  }

  // --- KV

  @Test
  void getByPrefixFromKeyRangeRevisionLimitAndKeysOnly() {
    ctl("put", "kv/a", "1").ok();
    ctl("put", "kv/b", "2").ok();
    ctl("put", "kv/c", "3").ok();
    long revisionOfA1 = revision(ctl("get", "kv/a", "-w", "json").ok().out());
    ctl("put", "kv/a", "1b").ok();

    assertThat(ctl("get", "kv/", "--prefix").ok().out())
        .isEqualTo("kv/a\n1b\nkv/b\n2\nkv/c\n3\n");
    assertThat(ctl("get", "kv/b", "--from-key", "--limit=2").ok().out())
        .isEqualTo("kv/b\n2\nkv/c\n3\n");
    assertThat(ctl("get", "kv/a", "kv/c").ok().out()).isEqualTo("kv/a\n1b\nkv/b\n2\n");
    assertThat(ctl("get", "kv/a", "--rev=" + revisionOfA1).ok().out()).isEqualTo("kv/a\n1\n");
    assertThat(ctl("get", "kv/", "--prefix", "--limit=1").ok().out()).isEqualTo("kv/a\n1b\n");
    assertThat(ctl("get", "kv/", "--prefix", "--keys-only").ok().out())
        .isEqualTo("kv/a\n\nkv/b\n\nkv/c\n\n");
    // A follower answers the same (linearizable read through the leader's read index).
    assertThat(Etcdctl.run(cluster.clientEndpoint(2), "get", "kv/b").ok().out())
        .isEqualTo("kv/b\n2\n");
  }

  @Test
  void delByPrefixAndWithPrevKv() {
    ctl("put", "del/a", "1").ok();
    ctl("put", "del/b", "2").ok();
    ctl("put", "del/c", "3").ok();

    assertThat(ctl("del", "del/a", "--prev-kv").ok().out()).isEqualTo("1\ndel/a\n1\n");
    assertThat(ctl("del", "del/", "--prefix").ok().out()).isEqualTo("2\n");
    assertThat(ctl("get", "del/", "--prefix").ok().out()).isEmpty();
  }

  @Test
  void txnFromInteractiveInput() {
    ctl("put", "txn/k", "v1").ok();
    String input = "value(\"txn/k\") = \"v1\"\n\nput txn/k \"v2\"\nget txn/k\n\nput txn/k \"no\"\n\n";

    Etcdctl.Result success =
        Etcdctl.runWithInput(
                cluster.clientEndpoint(0), input.getBytes(StandardCharsets.UTF_8), "txn", "--interactive")
            .ok();
    Etcdctl.Result failure =
        Etcdctl.runWithInput(
                cluster.clientEndpoint(0), input.getBytes(StandardCharsets.UTF_8), "txn")
            .ok();

    assertThat(success.out())
        .isEqualTo(
            "compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n"
                + "SUCCESS\n\nOK\n\ntxn/k\nv2\n");
    assertThat(failure.out()).isEqualTo("FAILURE\n\nOK\n");
    assertThat(ctl("get", "txn/k").ok().out()).isEqualTo("txn/k\nno\n");
  }

  @Test
  void watchPrefixWithPrevKvAndFromAnOldRevision() throws Exception {
    ctl("put", "watch/a", "0").ok();
    long first = revision(ctl("get", "watch/a", "-w", "json").ok().out());
    try (Etcdctl.Streaming prefix =
            Etcdctl.spawn(cluster.clientEndpoint(1), "watch", "watch/", "--prefix", "--prev-kv");
        Etcdctl.Streaming history =
            Etcdctl.spawn(cluster.clientEndpoint(2), "watch", "watch/a", "--rev=" + first)) {
      assertThat(history.next(3, 20)).containsExactly("PUT", "watch/a", "0");
      Thread.sleep(500); // etcdctl prints nothing once the watch is created; give it a moment
      ctl("put", "watch/a", "1").ok();

      assertThat(prefix.next(5, 20)).containsExactly("PUT", "watch/a", "0", "watch/a", "1");
      assertThat(history.next(3, 20)).containsExactly("PUT", "watch/a", "1");
    }
  }

  @Test
  void leaseGrantAttachTimeToLiveKeepAliveListRevoke() {
    Matcher granted =
        Pattern.compile("lease ([0-9a-f]+) granted with TTL\\(60s\\)\n")
            .matcher(ctl("lease", "grant", "60").ok().out());
    assertThat(granted.matches()).isTrue();
    String id = granted.group(1);
    ctl("put", "--lease=" + id, "lease/k", "v").ok();

    assertThat(ctl("lease", "timetolive", id, "--keys").ok().out())
        .matches("lease " + id + " granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[lease/k]\\)\n");
    assertThat(ctl("lease", "keep-alive", "--once", id).ok().out())
        .isEqualTo("lease " + id + " keepalived with TTL(60)\n");
    assertThat(ctl("lease", "list").ok().out()).startsWith("found ").contains("\n" + id + "\n");
    assertThat(ctl("lease", "revoke", id).ok().out()).isEqualTo("lease " + id + " revoked\n");
    assertThat(ctl("get", "lease/k").ok().out()).isEmpty();
  }

  @Test
  void compactionThenAnOldRevisionIsCompacted() {
    ctl("put", "compact/k", "1").ok();
    long old = revision(ctl("get", "compact/k", "-w", "json").ok().out());
    ctl("put", "compact/k", "2").ok();
    long now = revision(ctl("get", "compact/k", "-w", "json").ok().out());

    assertThat(ctl("compaction", Long.toString(now)).ok().out())
        .isEqualTo("compacted revision " + now + "\n");
    Etcdctl.Result compacted = ctl("get", "compact/k", "--rev=" + old);
    assertThat(compacted.exit()).isNotZero();
    assertThat(compacted.err()).contains("etcdserver: mvcc: required revision has been compacted");
  }

  @Test
  void defragAlarmListEndpointStatusAndHashkv() {
    assertThat(Etcdctl.run(cluster.allEndpoints(), "defrag").ok().out().lines())
        .containsExactlyInAnyOrderElementsOf(
            cluster.clientEndpoints().stream()
                .map(e -> "Finished defragmenting etcd member[" + e + "]")
                .toList());
    assertThat(ctl("alarm", "list").ok().out()).isEmpty();

    List<String> status = Etcdctl.run(cluster.allEndpoints(), "endpoint", "status").ok().out().lines().toList();
    assertThat(status).hasSize(3);
    assertThat(status.stream().filter(l -> l.split(", ")[4].equals("true")).count()).isEqualTo(1);
    for (String line : status) {
      assertThat(line).matches("127\\.0\\.0\\.1:\\d+, [0-9a-f]+, \\d+\\.\\d+\\.\\d+, .+, (true|false), false, \\d+, \\d+, \\d+, ");
    }

    ctl("put", "hash/k", "v").ok();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    List<String> hashes;
    do { // followers apply shortly after the leader; hashes agree once all applied the same
      hashes = Etcdctl.run(cluster.allEndpoints(), "endpoint", "hashkv").ok().out().lines()
          .map(l -> l.split(", ")[1]).distinct().toList();
    } while (hashes.size() != 1 && System.nanoTime() < deadline);
    assertThat(hashes).hasSize(1);
  }

  @Test
  void memberListAddLearnerPromoteRefusedRemove() {
    assertThat(ctl("member", "list").ok().out().lines())
        .hasSize(3)
        .allMatch(l -> l.matches("[0-9a-f]+, started, \\S+, http://\\S+, http://\\S+, false"));
    String peer = cluster.unusedPeerUrl();

    Etcdctl.Result add = memberAddRetryingWhileUnhealthy("learner1", peer);
    Matcher added = Pattern.compile("Member +([0-9a-f]+) added to cluster +([0-9a-f]+)\n").matcher(add.out());
    assertThat(added.find()).as(add.out()).isTrue();
    String id = added.group(1);
    assertThat(add.out()).contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\"");
    assertThat(ctl("member", "list").ok().out())
        .contains(id + ", unstarted, , " + peer + ", , true");

    Etcdctl.Result promote = ctl("member", "promote", id);
    assertThat(promote.exit()).isNotZero();
    assertThat(promote.err())
        .contains("etcdserver: can only promote a learner member which is in sync with leader");

    assertThat(ctl("member", "remove", id).ok().out())
        // etcdctl prints both ids with %16x: an id of 15 hex digits gets a leading space.
        .isEqualTo(String.format("Member %16s removed from cluster %16s%n", id, added.group(2)));
    assertThat(ctl("member", "list").ok().out()).doesNotContain(id);
  }

  /**
   * etcd refuses a member change until every member has been connected for a few seconds
   * ("etcdserver: unhealthy cluster", strict reconfiguration check), e.g. right after start or
   * a leader change; clients retry, and so does this test, for a bounded time.
   */
  Etcdctl.Result memberAddRetryingWhileUnhealthy(String name, String peer) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      Etcdctl.Result add = ctl("member", "add", name, "--learner", "--peer-urls=" + peer);
      if (add.exit() == 0
          || !add.err().contains("etcdserver: unhealthy cluster")
          || System.nanoTime() > deadline) {
        return add.ok();
      }
      sleep(500);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void moveLeaderToAFollower() throws Exception {
    int leader = leaderIndex();
    int follower = (leader + 1) % 3;
    List<String> ids = memberIds();

    Etcdctl.Result move =
        Etcdctl.run(cluster.clientEndpoint(leader), "move-leader", ids.get(follower)).ok();

    assertThat(move.out())
        .isEqualTo("Leadership transferred from " + ids.get(leader) + " to " + ids.get(follower) + "\n");
    assertThat(leaderIndex()).isEqualTo(follower);
  }

  // --- bad input

  @Test
  void anOversizedPutIsRefusedAndNothingIsWritten() {
    // Over etcd's 1.5 MiB --max-request-bytes, under etcdctl's own 2 MiB send limit.
    byte[] big = new byte[1_800_000];
    java.util.Arrays.fill(big, (byte) 'x');

    Etcdctl.Result put = Etcdctl.runWithInput(cluster.clientEndpoint(0), big, "put", "bad/big");

    assertThat(put.exit()).isNotZero();
    assertThat(put.err()).contains("etcdserver: request is too large");
    assertThat(ctl("get", "bad/big").ok().out()).isEmpty();
  }

  @Test
  void aFutureRevisionAndAnUnknownLeaseAreClearErrors() {
    Etcdctl.Result future = ctl("get", "bad/k", "--rev=999999999");
    Etcdctl.Result revoke = ctl("lease", "revoke", "1234");

    assertThat(future.exit()).isNotZero();
    assertThat(future.err()).contains("etcdserver: mvcc: required revision is a future revision");
    assertThat(revoke.exit()).isNotZero();
    assertThat(revoke.err()).contains("etcdserver: requested lease not found");
  }

  @Test
  void aTxnWithTooManyOpsIsRefused() {
    StringBuilder input = new StringBuilder("\n");
    for (int i = 0; i <= 128; i++) {
      input.append("put bad/t").append(i).append(" v\n");
    }
    input.append("\n\n");

    Etcdctl.Result txn =
        Etcdctl.runWithInput(cluster.clientEndpoint(0), input.toString().getBytes(StandardCharsets.UTF_8), "txn");

    assertThat(txn.exit()).isNotZero();
    assertThat(txn.err()).contains("etcdserver: too many operations in txn request");
    assertThat(ctl("get", "bad/t0").ok().out()).isEmpty();
  }

  @Test
  void aTxnPuttingOneKeyTwiceIsRefused() {
    String input = "\nput bad/dup 1\nput bad/dup 2\n\n\n";

    Etcdctl.Result txn =
        Etcdctl.runWithInput(cluster.clientEndpoint(0), input.getBytes(StandardCharsets.UTF_8), "txn");

    assertThat(txn.exit()).isNotZero();
    assertThat(txn.err()).contains("etcdserver: duplicate key given in txn request");
    assertThat(ctl("get", "bad/dup").ok().out()).isEmpty();
  }

  @Test
  void garbageOnTheClientPortLeavesTheMemberServing() throws Exception {
    String[] hostPort = cluster.clientEndpoint(0).split(":");
    byte[] junk = new byte[8192];
    new Random(5).nextBytes(junk);
    for (byte[] payload :
        List.of(junk, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\7\0\0\0\0\0garbage".getBytes(StandardCharsets.ISO_8859_1),
            "POST /v3/kv/put HTTP/1.1\r\nContent-Length: 5\r\n\r\n{{{{{".getBytes(StandardCharsets.US_ASCII))) {
      try (Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        out.write(payload);
        out.flush();
        InputStream in = socket.getInputStream();
        try {
          in.read(new byte[4096]);
        } catch (IOException closedOrReset) {
          // either is fine
        }
      }
    }

    ctl("put", "bad/after-garbage", "ok").ok();
    assertThat(ctl("get", "bad/after-garbage").ok().out()).isEqualTo("bad/after-garbage\nok\n");
  }

  static long revision(String getJson) {
    return Long.parseLong(new JsonObject(getJson).getJsonObject("header").getValue("revision").toString());
  }
}
