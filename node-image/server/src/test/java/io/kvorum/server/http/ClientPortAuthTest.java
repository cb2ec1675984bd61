package io.kvorum.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthUserAddRequest;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.AuthUserListRequest;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.Permission;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdException;
import io.kvorum.server.auth.AuthStore;
import io.kvorum.server.auth.AuthorizingNode;
import io.kvorum.server.auth.PasswordHasher;
import io.kvorum.server.auth.SimpleTokens;
import io.kvorum.server.auth.pb.AuthEntry;
import io.kvorum.server.config.TlsInfo;
import io.kvorum.server.tls.GrpcChannels;
import io.kvorum.server.tls.PortTls;
import io.kvorum.server.tls.TestPki;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client port over mutual TLS in front of the auth checks ({@link AuthorizingNode} with
 * {@code --client-cert-auth}, one watcher allowed): a verified certificate's CN is the user when
 * no token is sent, a token wins over the certificate, and the watcher limit holds. Auth entries
 * are applied directly to a real auth store (no Raft); the key space is the recording member.
 *
 * <p>alice (certificate CN alice) has READWRITE on prefix {@code app/}; root has the root role.
 */
class ClientPortAuthTest {
  @TempDir Path dir;
  private final RecordingEtcdNode node = new RecordingEtcdNode();
  private Backend backend;
  private MvccStore store;
  private AuthStore auth;
  private AuthorizingNode checked;
  private long index;
  private ClientPort port;
  private TestPki pki;
  private URI url;

  @BeforeEach
  void start() throws Exception {
    backend = Backend.open(dir.resolve("db"));
    store = MvccStore.open(backend, StoreOptions.defaults());
    auth = new AuthStore(new SimpleTokens(Duration.ofSeconds(300), System::nanoTime));
    auth.recover(store);
    checked = new AuthorizingNode(node, auth, this::applyDirectly, new PasswordHasher(PasswordHasher.MIN_COST), true, 1);
    await(checked.userAdd(AuthUserAddRequest.newBuilder().setName("root").setPassword("pw").build()));
    await(checked.userGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("root").setRole("root").build()));
    await(checked.userAdd(AuthUserAddRequest.newBuilder().setName("alice").setPassword("pa").build()));
    await(checked.roleAdd(AuthRoleAddRequest.newBuilder().setName("app").build()));
    await(
        checked.roleGrantPermission(
            AuthRoleGrantPermissionRequest.newBuilder()
                .setName("app")
                .setPerm(Permission.newBuilder().setPermType(Permission.Type.READWRITE).setKey(bytes("app/")).setRangeEnd(bytes("app0")))
                .build()));
    await(checked.userGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser("alice").setRole("app").build()));
    await(checked.authEnable(AuthEnableRequest.getDefaultInstance()));

    pki = new TestPki(dir.resolve("pki"));
    TestPki.Files server = pki.issue("member", "server");
    PortTls tls = PortTls.load(new TlsInfo(server.cert(), server.key(), pki.caFile, true, false), dir.resolve("unused"), List.of());
    port = new ClientPort(checked, List.of("https://127.0.0.1:0"), ClientPortOptions.defaults(), tls);
    port.start();
    url = URI.create("https://127.0.0.1:" + port.boundAddresses().getFirst().getPort());
    node.answer("range", (RangeRequest r) -> RangeResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).build());
  }

  @AfterEach
  void stop() {
    if (port != null) {
      port.close();
    }
    checked.close();
    store.close();
    backend.close();
  }

  /** The proposer: applies the entry at the next index, as every member would. */
  private synchronized CompletableFuture<Message> applyDirectly(AuthEntry entry) {
    Object result;
    try (ApplyBatch batch = store.beginApply()) {
      result = auth.apply(batch, entry, ++index);
      batch.commit(index);
    }
    if (result instanceof EtcdException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(AuthStore.withHeader(result, RecordingEtcdNode.HEADER));
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  private ManagedChannel channel(String commonName) throws Exception {
    TestPki.Files cert = pki.issue(commonName, commonName + "-client");
    return GrpcChannels.of(PortTls.forDialing(pki.caFile, cert.cert(), cert.key())).builder(url).build();
  }

  private static Status.Code codeOf(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void theCertificatesCommonNameIsTheUserWhenNoTokenIsSent() throws Exception {
    ManagedChannel alice = channel("alice");
    ManagedChannel root = channel("root");
    try {
      var kv = KVGrpc.newBlockingStub(alice).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertThat(kv.range(RangeRequest.newBuilder().setKey(bytes("app/x")).build()).getHeader().getRevision()).isEqualTo(42);
      assertThatThrownBy(() -> kv.range(RangeRequest.newBuilder().setKey(bytes("other")).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED))
          .hasMessageContaining("etcdserver: permission denied");
      assertThat(node.requestsOf("range")).hasSize(1);
      assertThat(codeOf(() -> AuthGrpc.newBlockingStub(alice).userList(AuthUserListRequest.getDefaultInstance()))).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(AuthGrpc.newBlockingStub(root).withDeadlineAfter(10, TimeUnit.SECONDS).userList(AuthUserListRequest.getDefaultInstance()).getUsersList())
          .containsExactly("alice", "root");
      // etcd's gauge of the auth revision, on the member's /metrics
      assertThat(node.metricsRegistry().scrape().stream().filter(m -> m.getMetadata().getName().equals("etcd_debugging_auth_revision")).findFirst())
          .hasValueSatisfying(m -> assertThat(((io.prometheus.metrics.model.snapshots.GaugeSnapshot) m).getDataPoints().get(0).getValue()).isEqualTo(auth.revision()));
    } finally {
      alice.shutdownNow();
      root.shutdownNow();
    }
  }

  @Test
  void aTokenWinsOverTheCertificate() throws Exception {
    ManagedChannel alice = channel("alice");
    try {
      String rootToken =
          AuthGrpc.newBlockingStub(alice)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .authenticate(AuthenticateRequest.newBuilder().setName("root").setPassword("pw").build())
              .getToken();
      Metadata md = new Metadata();
      md.put(Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER), rootToken);
      var asRoot = AuthGrpc.newBlockingStub(alice).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
      assertThat(asRoot.withDeadlineAfter(10, TimeUnit.SECONDS).userList(AuthUserListRequest.getDefaultInstance()).getUsersCount()).isEqualTo(2);
      md = new Metadata();
      md.put(Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER), "forged.1");
      var forged = KVGrpc.newBlockingStub(alice).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
      assertThat(codeOf(() -> forged.range(RangeRequest.newBuilder().setKey(bytes("app/x")).build()))).isEqualTo(Status.Code.UNAUTHENTICATED);
    } finally {
      alice.shutdownNow();
    }
  }

  @Test
  void watchesAreCheckedPerRangeAndLimitedPerMember() throws Exception {
    ManagedChannel alice = channel("alice");
    BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<WatchRequest> requests =
        WatchGrpc.newStub(alice)
            .watch(
                new StreamObserver<>() {
                  @Override
                  public void onNext(WatchResponse r) {
                    responses.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    try {
      requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(bytes("other"))).build());
      WatchResponse refused = responses.poll(10, TimeUnit.SECONDS);
      assertThat(refused).isNotNull();
      assertThat(refused.getCreated() && refused.getCanceled()).isTrue();
      assertThat(refused.getCancelReason()).isEqualTo("rpc error: code = PermissionDenied desc = etcdserver: permission denied");

      requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(bytes("app/a"))).build());
      requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(bytes("app/b"))).build());
      WatchResponse overLimit = responses.poll(10, TimeUnit.SECONDS);
      assertThat(overLimit).isNotNull();
      assertThat(overLimit.getCanceled()).isTrue();
      assertThat(overLimit.getCancelReason()).contains("too many watchers").contains("1 are open");
      assertThat(node.watchRequests).hasSize(1); // only app/a reached the member
    } finally {
      requests.onCompleted();
      alice.shutdownNow();
    }
  }
}
