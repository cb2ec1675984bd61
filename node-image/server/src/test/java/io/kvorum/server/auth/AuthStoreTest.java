package io.kvorum.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleDeleteRequest;
import io.etcd.jetcd.api.AuthRoleGetRequest;
import io.etcd.jetcd.api.AuthRoleGetResponse;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthRoleListRequest;
import io.etcd.jetcd.api.AuthRoleListResponse;
import io.etcd.jetcd.api.AuthRoleRevokePermissionRequest;
import io.etcd.jetcd.api.AuthUserDeleteRequest;
import io.etcd.jetcd.api.AuthUserGetRequest;
import io.etcd.jetcd.api.AuthUserGetResponse;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.AuthUserListRequest;
import io.etcd.jetcd.api.AuthUserListResponse;
import io.etcd.jetcd.api.AuthUserRevokeRoleRequest;
import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthDisableRequest;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.Permission;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.grpc.Status;
import io.kvorum.server.api.EtcdException;
import io.kvorum.server.auth.pb.AuthEntry;
import io.kvorum.server.auth.pb.AuthHeader;
import io.kvorum.server.auth.pb.Authenticate;
import io.kvorum.server.auth.pb.SetUser;
import io.kvorum.server.grpc.proto.AuthStatusRequest;
import io.kvorum.server.grpc.proto.AuthStatusResponse;
import io.kvorum.server.membership.pb.InternalRequest;
import io.kvorum.server.membership.pb.RequestType;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auth store over a real backend: etcd's rules, its errors, persistence, apply-time checks. */
class AuthStoreTest {
  private static final PasswordHasher HASHER = new PasswordHasher(PasswordHasher.MIN_COST);
  private static final ByteString NONE = ByteString.EMPTY;

  @TempDir Path dir;
  private Backend backend;
  private MvccStore store;
  private final AtomicLong clock = new AtomicLong();
  private AuthStore auth;
  private long index;

  @BeforeEach
  void open() {
    backend = Backend.open(dir.resolve("db"));
    store = MvccStore.open(backend, StoreOptions.defaults());
    auth = new AuthStore(new SimpleTokens(Duration.ofSeconds(300), clock::get));
    auth.recover(store);
  }

  @AfterEach
  void close() {
    store.close();
    backend.close();
  }

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Applies one entry as {@code user} (null: nobody) in its own batch; returns the response or throws etcd's error. */
  private Object apply(String user, AuthEntry.Builder entry) {
    if (user != null) {
      entry.setHeader(AuthHeader.newBuilder().setUsername(user).setRevision(auth.revision()));
    }
    Object result;
    try (ApplyBatch batch = store.beginApply()) {
      result = auth.apply(batch, entry.build(), ++index);
      batch.commit(index);
    }
    if (result instanceof EtcdException e) {
      throw e;
    }
    return result;
  }

  private void userAdd(String who, String name, String password) {
    apply(who, AuthEntry.newBuilder().setUserAdd(SetUser.newBuilder().setName(name).setPasswordHash(ByteString.copyFrom(HASHER.hash(password)))));
  }

  private void roleAdd(String who, String role) {
    apply(who, AuthEntry.newBuilder().setRoleAdd(AuthRoleAddRequest.newBuilder().setName(role)));
  }

  private void grantRole(String who, String user, String role) {
    apply(who, AuthEntry.newBuilder().setUserGrantRole(AuthUserGrantRoleRequest.newBuilder().setUser(user).setRole(role)));
  }

  private void grantPermission(String who, String role, Permission.Type type, String key, ByteString end) {
    apply(
        who,
        AuthEntry.newBuilder()
            .setRoleGrantPermission(
                AuthRoleGrantPermissionRequest.newBuilder()
                    .setName(role)
                    .setPerm(Permission.newBuilder().setPermType(type).setKey(b(key)).setRangeEnd(end))));
  }

  private void enable() {
    apply("root", AuthEntry.newBuilder().setEnable(AuthEnableRequest.getDefaultInstance()));
  }

  /** root:pw, alice:pa with role r: READ [a, c), WRITE k, READWRITE prefix app/; auth enabled. */
  private void aliceAndRoot() {
    userAdd(null, "root", "pw");
    grantRole(null, "root", "root");
    userAdd(null, "alice", "pa");
    roleAdd(null, "r");
    grantPermission(null, "r", Permission.Type.READ, "a", b("c"));
    grantPermission(null, "r", Permission.Type.WRITE, "k", NONE);
    grantPermission(null, "r", Permission.Type.READWRITE, "app/", b("app0"));
    grantRole(null, "alice", "r");
    enable();
  }

  private AuthInfo alice() {
    return new AuthInfo("alice", auth.revision());
  }

  private static void assertEtcdError(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(EtcdException.class, e -> assertThat(e.code()).isEqualTo(code))
        .hasMessage(message);
  }

  @Test
  void enableNeedsRootUserWithRootRoleAndKeepsTheRevision() {
    assertEtcdError(this::enable, Status.Code.FAILED_PRECONDITION, "etcdserver: root user does not exist");
    userAdd(null, "root", "pw");
    assertEtcdError(this::enable, Status.Code.FAILED_PRECONDITION, "etcdserver: root user does not have root role");
    grantRole(null, "root", "root"); // the root role needs no stored role
    long before = auth.revision();
    enable();
    assertThat(auth.enabled()).isTrue();
    assertThat(auth.revision()).isEqualTo(before);
    enable(); // again: a no-op, as in etcd
    AuthStatusResponse status = (AuthStatusResponse) apply("alice", AuthEntry.newBuilder().setStatus(AuthStatusRequest.getDefaultInstance()));
    assertThat(status.getEnabled()).isTrue();
    assertThat(status.getAuthRevision()).isEqualTo(before);
  }

  @Test
  void keyRangePermissionsByKind() {
    aliceAndRoot();
    auth.checkRead(alice(), b("a"), NONE);
    auth.checkRead(alice(), b("a"), b("c"));
    auth.checkRead(alice(), b("app/"), b("app0"));
    auth.checkWrite(alice(), b("k"), NONE);
    auth.checkWrite(alice(), b("app/x"), NONE);
    assertEtcdError(() -> auth.checkRead(alice(), b("a"), b("d")), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
    assertEtcdError(() -> auth.checkRead(alice(), b("k"), NONE), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
    assertEtcdError(() -> auth.checkWrite(alice(), b("a"), NONE), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
    assertEtcdError(() -> auth.checkWrite(alice(), b("app"), NONE), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
    // root may do anything, nobody nothing, an unknown user nothing
    auth.checkWrite(new AuthInfo("root", auth.revision()), b("\0"), b("\0"));
    assertEtcdError(() -> auth.checkRead(AuthInfo.NONE, b("a"), NONE), Status.Code.INVALID_ARGUMENT, "etcdserver: user name is empty");
    assertEtcdError(() -> auth.checkRead(new AuthInfo("mallory", auth.revision()), b("a"), NONE), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
  }

  @Test
  void aChangeOfTheAuthStateMakesOlderRequestsStale() {
    aliceAndRoot();
    AuthInfo before = alice();
    grantPermission("root", "r", Permission.Type.READ, "k", NONE);
    assertThat(auth.revision()).isEqualTo(before.revision() + 1);
    assertEtcdError(() -> auth.checkRead(before, b("a"), NONE), Status.Code.INVALID_ARGUMENT, "etcdserver: revision of auth store is old");
    assertEtcdError(() -> auth.checkRevisionUnchanged(before), Status.Code.INVALID_ARGUMENT, "etcdserver: revision of auth store is old");
    // the same key and range_end again replaces the type (etcd): k is READ now, no longer WRITE
    auth.checkRead(alice(), b("k"), NONE);
    assertEtcdError(() -> auth.checkWrite(alice(), b("k"), NONE), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
  }

  @Test
  void whileDisabledEverythingIsAllowed() {
    userAdd(null, "alice", "pa");
    auth.checkWrite(AuthInfo.NONE, b("anything"), b("\0"));
    auth.checkAdmin(AuthInfo.NONE);
    assertEtcdError(() -> auth.checkPassword("alice", "pa"), Status.Code.FAILED_PRECONDITION, "etcdserver: authentication is not enabled");
  }

  @Test
  void managementNeedsRootAndFailsAsEtcd() {
    aliceAndRoot();
    assertEtcdError(() -> userAdd(null, "bob", "pb"), Status.Code.INVALID_ARGUMENT, "etcdserver: user name is empty");
    assertEtcdError(() -> userAdd("alice", "bob", "pb"), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
    assertEtcdError(() -> userAdd("ghost", "bob", "pb"), Status.Code.FAILED_PRECONDITION, "etcdserver: user name not found");
    assertEtcdError(() -> apply("alice", AuthEntry.newBuilder().setUserList(AuthUserListRequest.getDefaultInstance())), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
    // a user may read itself and its own roles
    AuthUserGetResponse self = (AuthUserGetResponse) apply("alice", AuthEntry.newBuilder().setUserGet(AuthUserGetRequest.newBuilder().setName("alice")));
    assertThat(self.getRolesList()).containsExactly("r");
    AuthRoleGetResponse own = (AuthRoleGetResponse) apply("alice", AuthEntry.newBuilder().setRoleGet(AuthRoleGetRequest.newBuilder().setRole("r")));
    assertThat(own.getPermList()).extracting(p -> p.getKey().toStringUtf8()).containsExactly("a", "app/", "k");
    assertEtcdError(() -> apply("alice", AuthEntry.newBuilder().setRoleGet(AuthRoleGetRequest.newBuilder().setRole("root"))), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
    assertEtcdError(() -> apply("alice", AuthEntry.newBuilder().setUserGet(AuthUserGetRequest.newBuilder().setName("root"))), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");

    assertEtcdError(() -> userAdd("root", "alice", "x"), Status.Code.FAILED_PRECONDITION, "etcdserver: user name already exists");
    assertEtcdError(() -> userAdd("root", "", "x"), Status.Code.INVALID_ARGUMENT, "etcdserver: user name is empty");
    assertEtcdError(() -> roleAdd("root", "r"), Status.Code.FAILED_PRECONDITION, "etcdserver: role name already exists");
    assertEtcdError(() -> roleAdd("root", ""), Status.Code.INVALID_ARGUMENT, "etcdserver: role name is empty");
    assertEtcdError(() -> grantRole("root", "alice", "nope"), Status.Code.FAILED_PRECONDITION, "etcdserver: role name not found");
    assertEtcdError(() -> grantRole("root", "nobody", "r"), Status.Code.FAILED_PRECONDITION, "etcdserver: user name not found");
    assertEtcdError(
        () -> apply("root", AuthEntry.newBuilder().setUserRevokeRole(AuthUserRevokeRoleRequest.newBuilder().setName("alice").setRole("nope"))),
        Status.Code.FAILED_PRECONDITION, "etcdserver: role is not granted to the user");
    assertEtcdError(
        () -> apply("root", AuthEntry.newBuilder().setRoleRevokePermission(AuthRoleRevokePermissionRequest.newBuilder().setRole("r").setKey(b("x")))),
        Status.Code.FAILED_PRECONDITION, "etcdserver: permission is not granted to the role");
    long rev = auth.revision();
    grantRole("root", "alice", "r"); // granted already: accepted, nothing changes
    assertThat(auth.revision()).isEqualTo(rev);
  }

  @Test
  void rootCannotBeRemovedWhileAuthIsOn() {
    aliceAndRoot();
    String mgmt = "etcdserver: invalid auth management";
    assertEtcdError(() -> apply("root", AuthEntry.newBuilder().setUserDelete(AuthUserDeleteRequest.newBuilder().setName("root"))), Status.Code.INVALID_ARGUMENT, mgmt);
    assertEtcdError(() -> apply("root", AuthEntry.newBuilder().setRoleDelete(AuthRoleDeleteRequest.newBuilder().setRole("root"))), Status.Code.INVALID_ARGUMENT, mgmt);
    assertEtcdError(
        () -> apply("root", AuthEntry.newBuilder().setUserRevokeRole(AuthUserRevokeRoleRequest.newBuilder().setName("root").setRole("root"))),
        Status.Code.INVALID_ARGUMENT, mgmt);
  }

  @Test
  void deletingARoleTakesItFromItsUsers() {
    aliceAndRoot();
    apply("root", AuthEntry.newBuilder().setRoleDelete(AuthRoleDeleteRequest.newBuilder().setRole("r")));
    AuthUserGetResponse alice = (AuthUserGetResponse) apply("root", AuthEntry.newBuilder().setUserGet(AuthUserGetRequest.newBuilder().setName("alice")));
    assertThat(alice.getRolesList()).isEmpty();
    assertEtcdError(() -> auth.checkRead(alice(), b("a"), NONE), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
    AuthRoleListResponse roles = (AuthRoleListResponse) apply("root", AuthEntry.newBuilder().setRoleList(AuthRoleListRequest.getDefaultInstance()));
    assertThat(roles.getRolesList()).isEmpty(); // root's role was never stored
  }

  @Test
  void tokensAreIssuedByApplyAndDroppedWithTheirUser() {
    aliceAndRoot();
    assertThat(auth.checkPassword("alice", "pa")).isEqualTo(auth.revision());
    assertEtcdError(() -> auth.checkPassword("alice", "wrong"), Status.Code.INVALID_ARGUMENT, "etcdserver: authentication failed, invalid user ID or password");
    assertEtcdError(() -> auth.checkPassword("nobody", "pa"), Status.Code.INVALID_ARGUMENT, "etcdserver: authentication failed, invalid user ID or password");
    AuthenticateResponse r = (AuthenticateResponse) apply(null, AuthEntry.newBuilder().setAuthenticate(Authenticate.newBuilder().setName("alice").setTokenPrefix("abcdefghijklmnop")));
    assertThat(r.getToken()).isEqualTo("abcdefghijklmnop." + index);
    assertThat(auth.authInfoFromToken(r.getToken())).contains(alice());
    apply("root", AuthEntry.newBuilder().setUserChangePassword(SetUser.newBuilder().setName("alice").setPasswordHash(ByteString.copyFrom(HASHER.hash("new")))));
    assertThat(auth.authInfoFromToken(r.getToken())).isEmpty();
    assertThat(auth.checkPassword("alice", "new")).isEqualTo(auth.revision());

    AuthenticateResponse root = (AuthenticateResponse) apply(null, AuthEntry.newBuilder().setAuthenticate(Authenticate.newBuilder().setName("root").setTokenPrefix("qqqqqqqqqqqqqqqq")));
    long rev = auth.revision();
    apply("root", AuthEntry.newBuilder().setDisable(AuthDisableRequest.getDefaultInstance()));
    assertThat(auth.enabled()).isFalse();
    assertThat(auth.revision()).isEqualTo(rev + 1);
    assertThat(auth.authInfoFromToken(root.getToken())).isEmpty();
    assertEtcdError(
        () -> apply(null, AuthEntry.newBuilder().setAuthenticate(Authenticate.newBuilder().setName("root").setTokenPrefix("x"))),
        Status.Code.FAILED_PRECONDITION, "etcdserver: authentication is not enabled");
  }

  @Test
  void stateSurvivesReopeningTheBackend() {
    aliceAndRoot();
    long rev = auth.revision();
    store.close();
    backend.close();
    backend = Backend.open(dir.resolve("db"));
    store = MvccStore.open(backend, StoreOptions.defaults());
    AuthStore reopened = new AuthStore(new SimpleTokens(Duration.ofSeconds(300), clock::get));
    reopened.recover(store);
    assertThat(reopened.enabled()).isTrue();
    assertThat(reopened.revision()).isEqualTo(rev);
    reopened.checkRead(new AuthInfo("alice", rev), b("b"), NONE);
    assertThat(reopened.checkPassword("root", "pw")).isEqualTo(rev);
    assertEtcdError(() -> reopened.checkWrite(new AuthInfo("alice", rev), b("a"), NONE), Status.Code.PERMISSION_DENIED, "etcdserver: permission denied");
  }

  @Test
  void keySpaceEntriesAreCheckedWhenApplied() {
    aliceAndRoot();
    long rev = auth.revision();
    Map<Long, List<ByteString>> leases = Map.of(7L, List.of(b("k"), b("secret")), 8L, List.of(b("k")));
    Object applied = new Object();
    java.util.function.Function<InternalRequest.Builder, Object> check =
        req -> auth.applyChecked(req.build(), id -> leases.getOrDefault(id, List.of()), () -> applied);
    InternalRequest.Builder asAlice =
        InternalRequest.newBuilder().setAuth(AuthHeader.newBuilder().setUsername("alice").setRevision(rev));

    assertThat(check.apply(asAlice.clone().setType(RequestType.PUT).setPayload(PutRequest.newBuilder().setKey(b("k")).build().toByteString()))).isSameAs(applied);
    assertThat(check.apply(asAlice.clone().setType(RequestType.PUT).setPayload(PutRequest.newBuilder().setKey(b("a")).build().toByteString())))
        .isInstanceOf(EtcdException.class);
    // prev_kv needs READ on the key as well
    assertThat(check.apply(asAlice.clone().setType(RequestType.PUT).setPayload(PutRequest.newBuilder().setKey(b("k")).setPrevKv(true).build().toByteString())))
        .isInstanceOf(EtcdException.class);
    // a lease holding a key alice cannot write may not get more keys, nor be revoked by her
    assertThat(check.apply(asAlice.clone().setType(RequestType.PUT).setPayload(PutRequest.newBuilder().setKey(b("k")).setLease(7).build().toByteString())))
        .isInstanceOf(EtcdException.class);
    assertThat(check.apply(asAlice.clone().setType(RequestType.PUT).setPayload(PutRequest.newBuilder().setKey(b("k")).setLease(8).build().toByteString()))).isSameAs(applied);
    assertThat(check.apply(asAlice.clone().setType(RequestType.LEASE_REVOKE).setPayload(LeaseRevokeRequest.newBuilder().setID(7).build().toByteString())))
        .isInstanceOf(EtcdException.class);
    assertThat(check.apply(asAlice.clone().setType(RequestType.LEASE_REVOKE).setPayload(LeaseRevokeRequest.newBuilder().setID(8).build().toByteString()))).isSameAs(applied);

    // txn: compares need READ, both branches are checked whichever runs, nested txns too
    TxnRequest ok =
        TxnRequest.newBuilder()
            .addCompare(Compare.newBuilder().setKey(b("a")))
            .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("app/x"))))
            .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(b("b"))))
            .build();
    assertThat(check.apply(asAlice.clone().setType(RequestType.TXN).setPayload(ok.toByteString()))).isSameAs(applied);
    TxnRequest badCompare = ok.toBuilder().setCompare(0, Compare.newBuilder().setKey(b("k"))).build();
    TxnRequest badFailure = ok.toBuilder().addFailure(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("b")))).build();
    TxnRequest badNested = ok.toBuilder().addSuccess(RequestOp.newBuilder().setRequestTxn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(b("k")))))).build();
    for (TxnRequest t : List.of(badCompare, badFailure, badNested)) {
      assertThat(check.apply(asAlice.clone().setType(RequestType.TXN).setPayload(t.toByteString())))
          .isInstanceOfSatisfying(EtcdException.class, e -> assertThat(e.getMessage()).isEqualTo("etcdserver: permission denied"));
    }

    // stale revision, nobody, and the member's own entries (no header: lease expiry)
    InternalRequest.Builder stale = InternalRequest.newBuilder().setAuth(AuthHeader.newBuilder().setUsername("alice").setRevision(rev - 1));
    assertThat(check.apply(stale.setType(RequestType.PUT).setPayload(PutRequest.newBuilder().setKey(b("k")).build().toByteString())))
        .isInstanceOfSatisfying(EtcdException.class, e -> assertThat(e.getMessage()).isEqualTo("etcdserver: revision of auth store is old"));
    InternalRequest.Builder nobody = InternalRequest.newBuilder().setAuth(AuthHeader.getDefaultInstance());
    assertThat(check.apply(nobody.setType(RequestType.PUT).setPayload(PutRequest.newBuilder().setKey(b("k")).build().toByteString())))
        .isInstanceOfSatisfying(EtcdException.class, e -> assertThat(e.getMessage()).isEqualTo("etcdserver: user name is empty"));
    assertThat(check.apply(InternalRequest.newBuilder().setType(RequestType.LEASE_REVOKE).setPayload(LeaseRevokeRequest.newBuilder().setID(7).build().toByteString())))
        .isSameAs(applied);
  }

  @Test
  void listsAreSorted() {
    userAdd(null, "zed", "x");
    userAdd(null, "amy", "x");
    roleAdd(null, "b");
    roleAdd(null, "a");
    AuthUserListResponse users = (AuthUserListResponse) apply(null, AuthEntry.newBuilder().setUserList(AuthUserListRequest.getDefaultInstance()));
    assertThat(users.getUsersList()).containsExactly("amy", "zed");
    AuthRoleListResponse roles = (AuthRoleListResponse) apply(null, AuthEntry.newBuilder().setRoleList(AuthRoleListRequest.getDefaultInstance()));
    assertThat(roles.getRolesList()).containsExactly("a", "b");
  }
}
