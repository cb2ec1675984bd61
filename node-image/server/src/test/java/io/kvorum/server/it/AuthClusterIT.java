package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.auth.Permission;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Auth on a 3-member kvorum cluster through jetcd, raw gRPC and the JSON gateway: the auth
 * state is replicated (set up through one member, enforced by all, kept over a restart), a
 * token issued by one member works on another, tokens expire after {@code --auth-token-ttl}
 * (3 s here) while jetcd's {@code .user()/.password()} client re-authenticates by itself, and
 * KV, Txn, Watch and Lease are allowed or refused per key range.
 *
 * <p>alice has READWRITE on prefix {@code app/} and READ on key {@code cfg}; nothing else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthClusterIT {
  private static final long TIMEOUT_SECONDS = 20;
  private static final String DENIED = "etcdserver: permission denied";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private LocalCluster cluster;
  private Client root;
  private Client alice;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    // A snapshot every 10 entries: the member that joins later must get the auth state by snapshot.
    cluster = LocalCluster.start(3, dir, "--auth-token-ttl=3", "--bcrypt-cost=4", "--snapshot-count=10");
    cluster.waitForLeader(Duration.ofSeconds(90));
    for (LocalCluster.Member m : cluster.members()) {
      awaitHealthy(m);
    }
    try (Client setup = client(null, null, 1, 2, 3)) {
      var auth = setup.getAuthClient();
      await(auth.userAdd(b("root"), b("pw")));
      await(auth.userGrantRole(b("root"), b("root")));
      await(auth.userAdd(b("alice"), b("pa")));
      await(auth.roleAdd(b("app")));
      await(auth.roleGrantPermission(b("app"), b("app/"), b("app0"), Permission.Type.READWRITE));
      await(auth.roleGrantPermission(b("app"), b("cfg"), ByteSequence.EMPTY, Permission.Type.READ));
      await(auth.userGrantRole(b("alice"), b("app")));
      await(setup.getKVClient().put(b("cfg"), b("v1")));
      await(auth.authEnable());
    }
    root = client("root", "pw", 1, 2, 3);
    alice = client("alice", "pa", 1, 2, 3);
  }

  @AfterAll
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {alice, root, cluster}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // closing anyway
      }
    }
  }

  private Client client(String user, String password, int... members) {
    String[] endpoints = new String[members.length];
    for (int i = 0; i < members.length; i++) {
      endpoints[i] = "http://" + cluster.member(members[i]).clientAddress();
    }
    var builder = Client.builder().endpoints(endpoints);
    if (user != null) {
      builder.user(b(user)).password(b(password));
    }
    return builder.build();
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private static void assertRefused(CompletableFuture<?> f, String message) {
    assertThatThrownBy(() -> await(f)).hasStackTraceContaining(message);
  }

  @Test
  @Order(1)
  void kvPerKeyRange() throws Exception {
    KV kv = alice.getKVClient();
    await(kv.put(b("app/1"), b("one")));
    assertThat(await(kv.get(b("app/1"))).getKvs()).hasSize(1);
    assertThat(await(kv.get(b("app/"), GetOption.builder().isPrefix(true).build())).getCount()).isEqualTo(1);
    assertThat(await(kv.get(b("cfg"))).getKvs().get(0).getValue()).isEqualTo(b("v1"));
    assertRefused(kv.put(b("cfg"), b("v2")), DENIED);
    assertRefused(kv.get(b("other")), DENIED);
    assertRefused(kv.get(b("ap"), GetOption.builder().isPrefix(true).build()), DENIED);
    assertRefused(kv.delete(b("cfg")), DENIED);
    // root may do anything; nobody nothing
    await(root.getKVClient().put(b("other"), b("x")));
    try (Client nobody = client(null, null, 2)) {
      assertRefused(nobody.getKVClient().get(b("app/1")), "etcdserver: user name is empty");
    }
  }

  @Test
  @Order(2)
  void txnMixedOpsAreCheckedInBothBranches() throws Exception {
    KV kv = alice.getKVClient();
    var ok =
        kv.txn()
            .If(new Cmp(b("cfg"), Cmp.Op.EQUAL, CmpTarget.value(b("v1"))))
            .Then(Op.put(b("app/2"), b("two"), PutOption.DEFAULT))
            .Else(Op.get(b("app/1"), GetOption.DEFAULT))
            .commit();
    assertThat(await(ok).isSucceeded()).isTrue();
    var writesCfgOnFailure =
        kv.txn()
            .If(new Cmp(b("cfg"), Cmp.Op.EQUAL, CmpTarget.value(b("v1"))))
            .Then(Op.put(b("app/3"), b("three"), PutOption.DEFAULT))
            .Else(Op.put(b("cfg"), b("hacked"), PutOption.DEFAULT))
            .commit();
    assertRefused(writesCfgOnFailure, DENIED);
    var comparesOther =
        kv.txn().If(new Cmp(b("other"), Cmp.Op.EQUAL, CmpTarget.value(b("x")))).Then(Op.put(b("app/3"), b("three"), PutOption.DEFAULT)).commit();
    assertRefused(comparesOther, DENIED);
    assertThat(await(root.getKVClient().get(b("app/3"))).getKvs()).as("refused txns change nothing").isEmpty();
    assertThat(await(root.getKVClient().get(b("cfg"))).getKvs().get(0).getValue()).isEqualTo(b("v1"));
  }

  @Test
  @Order(3)
  void watchIsCheckedPerRange() throws Exception {
    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    Watch watch = alice.getWatchClient();
    try (Watch.Watcher allowed =
            watch.watch(b("app/"), WatchOption.builder().isPrefix(true).build(), r -> events.addAll(r.getEvents()), errors::add);
        Watch.Watcher refused = watch.watch(b("other"), r -> events.addAll(r.getEvents()), errors::add)) {
      Throwable error = errors.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertThat(error).as("the watch on 'other' is refused").isNotNull();
      assertThat(error).hasStackTraceContaining("permission denied");
      await(root.getKVClient().put(b("other"), b("y")));
      await(root.getKVClient().put(b("app/w"), b("seen")));
      WatchEvent event = events.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertThat(event).isNotNull();
      assertThat(event.getKeyValue().getKey()).isEqualTo(b("app/w"));
      assertThat(events.poll(500, TimeUnit.MILLISECONDS)).as("nothing from the refused range").isNull();
    }
  }

  @Test
  @Order(4)
  void leaseWithKeysAliceCannotWrite() throws Exception {
    long lease = await(alice.getLeaseClient().grant(60)).getID();
    await(alice.getKVClient().put(b("app/leased"), b("l"), PutOption.builder().withLeaseId(lease).build()));
    assertThat(await(alice.getLeaseClient().timeToLive(lease, LeaseOption.builder().withAttachedKeys().build())).getKeys())
        .containsExactly(b("app/leased"));
    await(root.getKVClient().put(b("other-leased"), b("r"), PutOption.builder().withLeaseId(lease).build()));
    // now the lease holds a key alice may neither read nor write
    assertRefused(alice.getLeaseClient().timeToLive(lease, LeaseOption.builder().withAttachedKeys().build()), DENIED);
    assertRefused(alice.getLeaseClient().revoke(lease), DENIED);
    assertRefused(alice.getKVClient().put(b("app/more"), b("m"), PutOption.builder().withLeaseId(lease).build()), DENIED);
    await(root.getLeaseClient().revoke(lease));
    assertThat(await(root.getKVClient().get(b("app/leased"))).getKvs()).isEmpty();
  }

  @Test
  @Order(5)
  void aTokenFromOneMemberWorksOnAnotherUntilItExpires() throws Exception {
    String token;
    var one = cluster.channel(cluster.member(1));
    var two = cluster.channel(cluster.member(2));
    token =
        AuthGrpc.newBlockingStub(one)
            .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .authenticate(AuthenticateRequest.newBuilder().setName("alice").setPassword("pa").build())
            .getToken();
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER), token);
    var kv = KVGrpc.newBlockingStub(two).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    RangeRequest cfg = RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("cfg")).build();
    assertThat(kv.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS).range(cfg).getCount()).isEqualTo(1);
    Thread.sleep(4_500); // --auth-token-ttl=3: unused for longer, the token is gone
    assertThatThrownBy(() -> kv.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS).range(cfg))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(e.getStatus().getDescription()).isEqualTo("etcdserver: invalid auth token");
            });
    // jetcd authenticates again by itself when its token expired
    assertThat(await(alice.getKVClient().get(b("cfg"))).getCount()).isEqualTo(1);
  }

  @Test
  @Order(6)
  void gatewayNeedsTheTokenButHealthVersionAndMetricsStayOpen() throws Exception {
    String base = "http://" + cluster.member(3).clientAddress();
    HttpResponse<String> login = post(base + "/v3/auth/authenticate", "{\"name\":\"alice\",\"password\":\"pa\"}", null);
    assertThat(login.statusCode()).isEqualTo(200);
    String token = login.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
    String rangeCfg = "{\"key\":\"" + java.util.Base64.getEncoder().encodeToString("cfg".getBytes(StandardCharsets.UTF_8)) + "\"}";
    assertThat(post(base + "/v3/kv/range", rangeCfg, token).body()).contains("\"count\":\"1\"");
    HttpResponse<String> anonymous = post(base + "/v3/kv/range", rangeCfg, null);
    assertThat(anonymous.statusCode()).isEqualTo(400);
    assertThat(anonymous.body()).contains("etcdserver: user name is empty");
    HttpResponse<String> bogus = post(base + "/v3/kv/range", rangeCfg, "bogus.1");
    assertThat(bogus.statusCode()).isEqualTo(401);
    assertThat(bogus.body()).contains("etcdserver: invalid auth token");
    assertThat(post(base + "/v3/auth/user/list", "{}", token).body()).contains(DENIED);
    for (String open : new String[] {"/health", "/version", "/metrics"}) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + open)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(open).isEqualTo(200);
    }
  }

  @Test
  @Order(7)
  void authStateSurvivesARestart() throws Exception {
    LocalCluster.Member third = cluster.member(3);
    cluster.kill(third);
    cluster.restart(third);
    awaitHealthy(third);
    try (Client onThird = client("alice", "pa", 3)) {
      assertThat(await(onThird.getKVClient().get(b("cfg"))).getCount()).isEqualTo(1);
      assertRefused(onThird.getKVClient().put(b("cfg"), b("v3")), DENIED);
    }
    try (Client wrong = client("alice", "nope", 3)) {
      assertRefused(wrong.getKVClient().get(b("cfg")), "authentication failed, invalid user ID or password");
    }
  }

  @Test
  @Order(8)
  void aMemberThatJoinsLaterGetsTheAuthStateWithTheSnapshot() throws Exception {
    var one = cluster.channel(cluster.member(1));
    Metadata asRoot = tokenOf(one, "root", "pw");
    LocalCluster.Member joiner = cluster.newMember();
    io.etcd.jetcd.api.ClusterGrpc.newBlockingStub(one)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(asRoot))
        .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .memberAdd(io.etcd.jetcd.api.MemberAddRequest.newBuilder().addPeerURLs(joiner.peerUrl()).setIsLearner(true).build());
    cluster.join(joiner);
    var onJoiner = cluster.channel(joiner);
    RangeRequest cfg = RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("cfg")).setSerializable(true).build();
    RangeRequest other = RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("other")).setSerializable(true).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    Metadata asAlice = null;
    while (true) {
      try {
        // a token issued after the joiner caught up (tokens are not part of snapshots)
        asAlice = tokenOf(onJoiner, "alice", "pa");
        var kv = KVGrpc.newBlockingStub(onJoiner).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(asAlice));
        if (kv.withDeadlineAfter(5, TimeUnit.SECONDS).range(cfg).getCount() == 1) {
          break;
        }
      } catch (StatusRuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the joined member does not serve alice: " + e.getStatus() + "; log:\n" + joiner.logTail(30), e);
        }
      }
      Thread.sleep(300);
    }
    var kv = KVGrpc.newBlockingStub(onJoiner).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(asAlice));
    assertThatThrownBy(() -> kv.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS).range(other))
        .hasMessageContaining(DENIED);
    assertThat(java.nio.file.Files.readString(joiner.log())).contains("\"msg\":\"applied snapshot\"");
  }

  /** Authenticates over {@code channel} and returns the metadata that carries the token. */
  private static Metadata tokenOf(io.grpc.Channel channel, String user, String password) {
    String token =
        AuthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(password).build())
            .getToken();
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER), token);
    return md;
  }

  @Test
  @Order(9)
  void disabledAuthChecksNothing() throws Exception {
    try (Client aliceOnOne = client("alice", "pa", 1)) {
      assertRefused(aliceOnOne.getAuthClient().authDisable(), DENIED);
    }
    try (Client freshRoot = client("root", "pw", 1)) { // root's older token expired (3 s)
      await(freshRoot.getAuthClient().authDisable());
    }
    try (Client nobody = client(null, null, 2)) {
      await(nobody.getKVClient().put(b("other"), b("free")));
      assertThat(await(nobody.getKVClient().get(b("cfg"))).getCount()).isEqualTo(1);
    }
  }

  /** {@code /health} 200: a leader is known and a linearizable read went through this member. */
  private static void awaitHealthy(LocalCluster.Member m) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> health =
            HTTP.send(HttpRequest.newBuilder(URI.create(m.clientUrl() + "/health")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (health.statusCode() == 200) {
          return;
        }
        last = health.body();
      } catch (java.io.IOException e) {
        last = e.toString();
      }
      Thread.sleep(200);
    }
    throw new AssertionError(m.name + " not healthy within 90 s (" + last + "); log:\n" + m.logTail(30));
  }

  private static HttpResponse<String> post(String url, String body, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(TIMEOUT_SECONDS)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      r.header("Authorization", token);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
