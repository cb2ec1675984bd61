package io.kvorum.server.auth;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.etcd.jetcd.api.AuthDisableResponse;
import io.etcd.jetcd.api.AuthEnableResponse;
import io.etcd.jetcd.api.AuthRoleAddResponse;
import io.etcd.jetcd.api.AuthRoleDeleteResponse;
import io.etcd.jetcd.api.AuthRoleGetResponse;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthRoleGrantPermissionResponse;
import io.etcd.jetcd.api.AuthRoleListResponse;
import io.etcd.jetcd.api.AuthRoleRevokePermissionRequest;
import io.etcd.jetcd.api.AuthRoleRevokePermissionResponse;
import io.etcd.jetcd.api.AuthUserAddResponse;
import io.etcd.jetcd.api.AuthUserChangePasswordResponse;
import io.etcd.jetcd.api.AuthUserDeleteResponse;
import io.etcd.jetcd.api.AuthUserGetResponse;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.AuthUserGrantRoleResponse;
import io.etcd.jetcd.api.AuthUserListResponse;
import io.etcd.jetcd.api.AuthUserRevokeRoleRequest;
import io.etcd.jetcd.api.AuthUserRevokeRoleResponse;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.etcd.jetcd.api.Permission;
import io.etcd.jetcd.api.Role;
import io.etcd.jetcd.api.User;
import io.kvorum.server.api.EtcdException;
import io.kvorum.server.auth.pb.AuthEntry;
import io.kvorum.server.auth.pb.AuthHeader;
import io.kvorum.server.auth.pb.SetUser;
import io.kvorum.server.grpc.proto.AuthStatusResponse;
import io.kvorum.server.log.Log;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;

/**
 * etcd's auth store: whether auth is enabled, users (bcrypt hashes, roles), roles (key-range
 * permissions), the auth revision, and the simple tokens handed out.
 *
 * <p><b>Replication.</b> Every change is an {@link AuthEntry} in the Raft log, applied by every
 * member on the Raft loop ({@link #apply}) in one backend batch with the applied index (bucket
 * {@code AUTH}), so the state survives restarts, is part of every backend snapshot (a member
 * that joins later or falls behind gets it with the database) and is the same on every member
 * at the same index. Request threads read an immutable {@link State} published after each
 * change.
 *
 * <p><b>Revision.</b> Starts at 1; every change of users, roles or permissions and every
 * AuthDisable adds one (AuthEnable does not, as in etcd). A request carries the revision its
 * caller was resolved at; a key-space write checked at apply against a newer revision fails with
 * "etcdserver: revision of auth store is old" (the permissions it was sent under changed).
 *
 * <p><b>Root.</b> The user {@code root} with the role {@code root} must exist before auth can be
 * enabled; a user with the role {@code root} may do anything (it needs no stored role). While
 * auth is enabled the root user and role cannot be deleted, nor root's root role revoked.
 */
public final class AuthStore {
  public static final String ROOT = "root";
  private static final Log LOG = Log.get(AuthStore.class);

  private static final byte[] ENABLED_KEY = "enabled".getBytes(StandardCharsets.UTF_8);
  private static final byte[] REVISION_KEY = "revision".getBytes(StandardCharsets.UTF_8);
  private static final String USER_PREFIX = "user/";
  private static final String ROLE_PREFIX = "role/";

  /** What a user may read and write: the union of its roles' permissions. */
  private record UserPermissions(KeyRangeSet read, KeyRangeSet write) {}

  /** One immutable version of the auth state; a change publishes a new one. */
  private record State(
      boolean enabled,
      long revision,
      TreeMap<String, User> users,
      TreeMap<String, Role> roles,
      Map<String, UserPermissions> permissions) {
    static State initial() {
      return new State(false, 1, new TreeMap<>(), new TreeMap<>(), new ConcurrentHashMap<>());
    }

    State with(boolean enabled, long revision, TreeMap<String, User> users, TreeMap<String, Role> roles) {
      return new State(enabled, revision, users, roles, new ConcurrentHashMap<>());
    }
  }

  private final SimpleTokens tokens;
  private volatile State state = State.initial();

  public AuthStore(SimpleTokens tokens) {
    this.tokens = tokens;
  }

  /** An auth response with the member's header (etcd answers every Auth RPC with one). */
  public static Message withHeader(Object response, io.etcd.jetcd.api.ResponseHeader header) {
    Message m = (Message) response;
    var field = m.getDescriptorForType().findFieldByName("header");
    return field == null ? m : m.toBuilder().setField(field, header).build();
  }

  // ------------------------------------------------------------------ recovery

  /** Loads the state from the store's backend (after open or after installing a snapshot). */
  public void recover(MvccStore store) {
    boolean[] enabled = {false};
    long[] revision = {1};
    TreeMap<String, User> users = new TreeMap<>();
    TreeMap<String, Role> roles = new TreeMap<>();
    store.scanAuth(
        (k, v) -> {
          String key = new String(k, StandardCharsets.UTF_8);
          if (key.equals("enabled")) {
            enabled[0] = v.length == 1 && v[0] == 1;
          } else if (key.equals("revision")) {
            revision[0] = ByteBuffer.wrap(v).getLong();
          } else if (key.startsWith(USER_PREFIX)) {
            users.put(key.substring(USER_PREFIX.length()), parse(v, User.parser()));
          } else if (key.startsWith(ROLE_PREFIX)) {
            roles.put(key.substring(ROLE_PREFIX.length()), parse(v, Role.parser()));
          }
          return true;
        });
    state = state.with(enabled[0], revision[0], users, roles);
    if (!enabled[0]) {
      tokens.clear();
    }
    LOG.info("recovered auth state", "auth-enabled", enabled[0], "auth-revision", revision[0], "users", users.size(), "roles", roles.size());
  }

  // ------------------------------------------------------------------ reads for request threads

  public boolean enabled() {
    return state.enabled();
  }

  public long revision() {
    return state.revision();
  }

  /** The caller behind a simple token, at the current revision; empty if the token is unknown or expired. */
  public Optional<AuthInfo> authInfoFromToken(String token) {
    return tokens.use(token).map(user -> new AuthInfo(user, state.revision()));
  }

  /** The caller named by a verified client certificate's common name ({@code --client-cert-auth}). */
  public AuthInfo authInfoFromCommonName(String commonName) {
    return new AuthInfo(commonName, state.revision());
  }

  /**
   * etcd's CheckPassword: the revision the password was checked at, for the Authenticate entry.
   *
   * @throws EtcdException "authentication is not enabled", or "authentication failed, invalid
   *     user ID or password" for an unknown user or a wrong password
   */
  public long checkPassword(String name, String password) {
    State s = state;
    if (!s.enabled()) {
      throw AuthErrors.authNotEnabled();
    }
    User u = s.users().get(name);
    if (u == null || !PasswordHasher.matches(u.getPassword().toByteArray(), password)) {
      throw AuthErrors.authFailed();
    }
    return s.revision();
  }

  /** READ on {@code [key, rangeEnd)} (see {@link KeyRangeSet} for the forms); throws etcd's error if not permitted. */
  public void checkRead(AuthInfo who, ByteString key, ByteString rangeEnd) {
    checkOp(state, who, key, rangeEnd, false);
  }

  /** WRITE on {@code [key, rangeEnd)}; throws etcd's error if not permitted. */
  public void checkWrite(AuthInfo who, ByteString key, ByteString rangeEnd) {
    checkOp(state, who, key, rangeEnd, true);
  }

  /** etcd's IsAdminPermitted: the caller has the root role (anyone, while auth is disabled). */
  public void checkAdmin(AuthInfo who) {
    checkAdmin(state, who);
  }

  /**
   * etcd's check after a serialized read: the auth state must not have changed since the caller
   * was resolved, or the read may have been allowed by permissions that no longer exist.
   */
  public void checkRevisionUnchanged(AuthInfo who) {
    if (!who.anonymous() && who.revision() != state.revision()) {
      throw AuthErrors.authOldRevision();
    }
  }

  private static void checkOp(State s, AuthInfo who, ByteString key, ByteString rangeEnd, boolean write) {
    if (!s.enabled()) {
      return;
    }
    if (who.anonymous()) {
      throw AuthErrors.userEmpty();
    }
    if (who.revision() < s.revision()) {
      throw AuthErrors.authOldRevision();
    }
    User u = s.users().get(who.user());
    if (u == null) {
      throw AuthErrors.permissionDenied();
    }
    if (hasRootRole(u)) {
      return;
    }
    UserPermissions p = s.permissions().computeIfAbsent(who.user(), name -> permissionsOf(s, u));
    if (!(write ? p.write() : p.read()).covers(key, rangeEnd)) {
      throw AuthErrors.permissionDenied();
    }
  }

  private static void checkAdmin(State s, AuthInfo who) {
    if (!s.enabled()) {
      return;
    }
    if (who.user().isEmpty()) {
      throw AuthErrors.userEmpty();
    }
    User u = s.users().get(who.user());
    if (u == null) {
      throw AuthErrors.userNotFound();
    }
    if (!hasRootRole(u)) {
      throw AuthErrors.permissionDenied();
    }
  }

  private static UserPermissions permissionsOf(State s, User u) {
    List<Permission> read = new ArrayList<>();
    List<Permission> write = new ArrayList<>();
    for (String roleName : u.getRolesList()) {
      Role role = s.roles().get(roleName);
      if (role == null) {
        continue;
      }
      for (Permission p : role.getKeyPermissionList()) {
        if (p.getPermType() != Permission.Type.WRITE) {
          read.add(p);
        }
        if (p.getPermType() != Permission.Type.READ) {
          write.add(p);
        }
      }
    }
    return new UserPermissions(KeyRangeSet.of(read), KeyRangeSet.of(write));
  }

  private static boolean hasRootRole(User u) {
    return u.getRolesList().contains(ROOT);
  }

  // ------------------------------------------------------------------ apply (Raft loop only)

  /**
   * Applies one key-space entry's auth check, then the entry itself ({@code applyToStore}) if
   * the caller may do it. The checks are etcd's authApplierV3 (see {@link RequestPermissions});
   * entries the member proposed itself (no auth header) and everything while auth is disabled
   * go straight through. Deterministic: every member decides the same at the same index.
   *
   * @param leaseKeys the keys attached to a lease right now, on any member
   * @return the store's result, or the {@link EtcdException} that denied it
   */
  public Object applyChecked(
      io.kvorum.server.membership.pb.InternalRequest req,
      LongFunction<List<ByteString>> leaseKeys,
      java.util.function.Supplier<Object> applyToStore) {
    State s = state;
    if (!s.enabled() || !req.hasAuth()) {
      return applyToStore.get();
    }
    AuthInfo who = new AuthInfo(req.getAuth().getUsername(), req.getAuth().getRevision());
    RequestPermissions.Checker checker =
        new RequestPermissions.Checker() {
          @Override
          public void read(ByteString key, ByteString rangeEnd) {
            checkOp(s, who, key, rangeEnd, false);
          }

          @Override
          public void write(ByteString key, ByteString rangeEnd) {
            checkOp(s, who, key, rangeEnd, true);
          }
        };
    try {
      RequestPermissions.check(req.getType(), req.getPayload(), leaseKeys, checker);
    } catch (EtcdException denied) {
      return denied;
    }
    return applyToStore.get();
  }

  /**
   * Applies an auth entry: the change (persisted in {@code batch}) or the read, after etcd's
   * admin check. Returns the etcd response, or the {@link EtcdException} etcd would answer.
   */
  public Object apply(ApplyBatch batch, AuthEntry e, long index) {
    try {
      return applyChecked(batch, e, index);
    } catch (EtcdException err) {
      return err;
    }
  }

  private Message applyChecked(ApplyBatch batch, AuthEntry e, long index) {
    State s = state;
    AuthHeader h = e.getHeader();
    AuthInfo who = new AuthInfo(h.getUsername(), h.getRevision());
    switch (e.getOpCase()) {
      case STATUS -> {
        return AuthStatusResponse.newBuilder().setEnabled(s.enabled()).setAuthRevision(s.revision()).build();
      }
      case AUTHENTICATE -> {
        return authenticate(s, e.getAuthenticate().getName(), e.getAuthenticate().getTokenPrefix(), index);
      }
      case USER_GET -> {
        String name = e.getUserGet().getName();
        if (!name.equals(who.user())) {
          checkAdmin(s, who);
        }
        User u = s.users().get(name);
        if (u == null) {
          throw AuthErrors.userNotFound();
        }
        return AuthUserGetResponse.newBuilder().addAllRoles(u.getRolesList()).build();
      }
      case ROLE_GET -> {
        String role = e.getRoleGet().getRole();
        User caller = s.users().get(who.user());
        if (caller == null || !caller.getRolesList().contains(role)) {
          checkAdmin(s, who);
        }
        Role r = s.roles().get(role);
        if (r == null) {
          throw AuthErrors.roleNotFound();
        }
        return AuthRoleGetResponse.newBuilder().addAllPerm(r.getKeyPermissionList()).build();
      }
      case OP_NOT_SET -> throw new IllegalStateException("auth entry without an operation at index " + index);
      default -> checkAdmin(s, who);
    }
    return switch (e.getOpCase()) {
      case ENABLE -> enable(batch, s);
      case DISABLE -> disable(batch, s);
      case USER_ADD -> userAdd(batch, s, e.getUserAdd());
      case USER_LIST -> AuthUserListResponse.newBuilder().addAllUsers(s.users().keySet()).build();
      case USER_DELETE -> userDelete(batch, s, e.getUserDelete().getName());
      case USER_CHANGE_PASSWORD -> userChangePassword(batch, s, e.getUserChangePassword());
      case USER_GRANT_ROLE -> userGrantRole(batch, s, e.getUserGrantRole());
      case USER_REVOKE_ROLE -> userRevokeRole(batch, s, e.getUserRevokeRole());
      case ROLE_ADD -> roleAdd(batch, s, e.getRoleAdd().getName());
      case ROLE_LIST -> AuthRoleListResponse.newBuilder().addAllRoles(s.roles().keySet()).build();
      case ROLE_DELETE -> roleDelete(batch, s, e.getRoleDelete().getRole());
      case ROLE_GRANT_PERMISSION -> roleGrantPermission(batch, s, e.getRoleGrantPermission());
      case ROLE_REVOKE_PERMISSION -> roleRevokePermission(batch, s, e.getRoleRevokePermission());
      default -> throw new IllegalStateException("unhandled auth operation " + e.getOpCase());
    };
  }

  private Message authenticate(State s, String name, String prefix, long index) {
    if (!s.enabled()) {
      throw AuthErrors.authNotEnabled();
    }
    if (!s.users().containsKey(name)) {
      throw AuthErrors.authFailed();
    }
    return AuthenticateResponse.newBuilder().setToken(tokens.assign(prefix, index, name)).build();
  }

  private Message enable(ApplyBatch batch, State s) {
    if (s.enabled()) {
      return AuthEnableResponse.getDefaultInstance();
    }
    User root = s.users().get(ROOT);
    if (root == null) {
      throw AuthErrors.rootUserNotExist();
    }
    if (!hasRootRole(root)) {
      throw AuthErrors.rootRoleNotExist();
    }
    batch.putAuth(ENABLED_KEY, new byte[] {1});
    state = s.with(true, s.revision(), s.users(), s.roles());
    LOG.info("enabled authentication", "auth-revision", s.revision());
    return AuthEnableResponse.getDefaultInstance();
  }

  private Message disable(ApplyBatch batch, State s) {
    if (!s.enabled()) {
      return AuthDisableResponse.getDefaultInstance();
    }
    batch.putAuth(ENABLED_KEY, new byte[] {0});
    publish(batch, s, false, s.users(), s.roles());
    tokens.clear();
    LOG.info("disabled authentication", "auth-revision", state.revision());
    return AuthDisableResponse.getDefaultInstance();
  }

  private Message userAdd(ApplyBatch batch, State s, SetUser add) {
    String name = add.getName();
    if (name.isEmpty()) {
      throw AuthErrors.userEmpty();
    }
    if (s.users().containsKey(name)) {
      throw AuthErrors.userAlreadyExist();
    }
    User u = User.newBuilder().setName(utf8(name)).setPassword(add.getPasswordHash()).build();
    TreeMap<String, User> users = new TreeMap<>(s.users());
    users.put(name, u);
    putUser(batch, u);
    publish(batch, s, s.enabled(), users, s.roles());
    LOG.info("added a user", "user-name", name);
    return AuthUserAddResponse.getDefaultInstance();
  }

  private Message userDelete(ApplyBatch batch, State s, String name) {
    if (s.enabled() && name.equals(ROOT)) {
      throw AuthErrors.invalidAuthMgmt();
    }
    User u = s.users().get(name);
    if (u == null) {
      throw AuthErrors.userNotFound();
    }
    TreeMap<String, User> users = new TreeMap<>(s.users());
    users.remove(name);
    batch.deleteAuth(key(USER_PREFIX, name));
    publish(batch, s, s.enabled(), users, s.roles());
    tokens.invalidateUser(name);
    LOG.info("deleted a user", "user-name", name, "user-roles", u.getRolesList());
    return AuthUserDeleteResponse.getDefaultInstance();
  }

  private Message userChangePassword(ApplyBatch batch, State s, SetUser change) {
    User u = s.users().get(change.getName());
    if (u == null) {
      throw AuthErrors.userNotFound();
    }
    User updated = u.toBuilder().setPassword(change.getPasswordHash()).build();
    TreeMap<String, User> users = new TreeMap<>(s.users());
    users.put(change.getName(), updated);
    putUser(batch, updated);
    publish(batch, s, s.enabled(), users, s.roles());
    tokens.invalidateUser(change.getName());
    LOG.info("changed a password of a user", "user-name", change.getName());
    return AuthUserChangePasswordResponse.getDefaultInstance();
  }

  private Message userGrantRole(ApplyBatch batch, State s, AuthUserGrantRoleRequest r) {
    User u = s.users().get(r.getUser());
    if (u == null) {
      throw AuthErrors.userNotFound();
    }
    if (!r.getRole().equals(ROOT) && !s.roles().containsKey(r.getRole())) {
      throw AuthErrors.roleNotFound();
    }
    if (u.getRolesList().contains(r.getRole())) {
      LOG.warn("ignored grant role request to a user", "user-name", r.getUser(), "duplicate-role-name", r.getRole());
      return AuthUserGrantRoleResponse.getDefaultInstance();
    }
    List<String> roles = new ArrayList<>(u.getRolesList());
    roles.add(r.getRole());
    roles.sort(null);
    User updated = u.toBuilder().clearRoles().addAllRoles(roles).build();
    TreeMap<String, User> users = new TreeMap<>(s.users());
    users.put(r.getUser(), updated);
    putUser(batch, updated);
    publish(batch, s, s.enabled(), users, s.roles());
    LOG.info("granted a role to a user", "user-name", r.getUser(), "user-roles", roles, "added-role-name", r.getRole());
    return AuthUserGrantRoleResponse.getDefaultInstance();
  }

  private Message userRevokeRole(ApplyBatch batch, State s, AuthUserRevokeRoleRequest r) {
    if (s.enabled() && r.getName().equals(ROOT) && r.getRole().equals(ROOT)) {
      throw AuthErrors.invalidAuthMgmt();
    }
    User u = s.users().get(r.getName());
    if (u == null) {
      throw AuthErrors.userNotFound();
    }
    if (!u.getRolesList().contains(r.getRole())) {
      throw AuthErrors.roleNotGranted();
    }
    List<String> roles = new ArrayList<>(u.getRolesList());
    roles.remove(r.getRole());
    User updated = u.toBuilder().clearRoles().addAllRoles(roles).build();
    TreeMap<String, User> users = new TreeMap<>(s.users());
    users.put(r.getName(), updated);
    putUser(batch, updated);
    publish(batch, s, s.enabled(), users, s.roles());
    LOG.info("revoked a role from a user", "user-name", r.getName(), "revoked-role-name", r.getRole());
    return AuthUserRevokeRoleResponse.getDefaultInstance();
  }

  private Message roleAdd(ApplyBatch batch, State s, String name) {
    if (name.isEmpty()) {
      throw AuthErrors.roleEmpty();
    }
    if (s.roles().containsKey(name)) {
      throw AuthErrors.roleAlreadyExist();
    }
    Role role = Role.newBuilder().setName(utf8(name)).build();
    TreeMap<String, Role> roles = new TreeMap<>(s.roles());
    roles.put(name, role);
    putRole(batch, role);
    publish(batch, s, s.enabled(), s.users(), roles);
    LOG.info("created a role", "role-name", name);
    return AuthRoleAddResponse.getDefaultInstance();
  }

  private Message roleDelete(ApplyBatch batch, State s, String name) {
    if (s.enabled() && name.equals(ROOT)) {
      throw AuthErrors.invalidAuthMgmt();
    }
    if (!s.roles().containsKey(name)) {
      throw AuthErrors.roleNotFound();
    }
    TreeMap<String, Role> roles = new TreeMap<>(s.roles());
    roles.remove(name);
    batch.deleteAuth(key(ROLE_PREFIX, name));
    TreeMap<String, User> users = new TreeMap<>(s.users());
    for (User u : s.users().values()) {
      if (u.getRolesList().contains(name)) {
        List<String> left = new ArrayList<>(u.getRolesList());
        left.remove(name);
        User updated = u.toBuilder().clearRoles().addAllRoles(left).build();
        users.put(updated.getName().toStringUtf8(), updated);
        putUser(batch, updated);
      }
    }
    publish(batch, s, s.enabled(), users, roles);
    LOG.info("deleted a role", "role-name", name);
    return AuthRoleDeleteResponse.getDefaultInstance();
  }

  private Message roleGrantPermission(ApplyBatch batch, State s, AuthRoleGrantPermissionRequest r) {
    Role role = s.roles().get(r.getName());
    if (role == null) {
      throw AuthErrors.roleNotFound();
    }
    Permission want = r.getPerm();
    List<Permission> perms = new ArrayList<>(role.getKeyPermissionList());
    boolean updated = false;
    for (int i = 0; i < perms.size(); i++) {
      Permission p = perms.get(i);
      if (p.getKey().equals(want.getKey()) && p.getRangeEnd().equals(want.getRangeEnd())) {
        perms.set(i, p.toBuilder().setPermType(want.getPermType()).build());
        updated = true;
      }
    }
    if (!updated) {
      perms.add(want);
      perms.sort((a, b) -> ByteString.unsignedLexicographicalComparator().compare(a.getKey(), b.getKey()));
    }
    Role changed = role.toBuilder().clearKeyPermission().addAllKeyPermission(perms).build();
    TreeMap<String, Role> roles = new TreeMap<>(s.roles());
    roles.put(r.getName(), changed);
    putRole(batch, changed);
    publish(batch, s, s.enabled(), s.users(), roles);
    LOG.info("granted/updated a permission to a role", "role-name", r.getName(), "permission-name", want.getPermType().name());
    return AuthRoleGrantPermissionResponse.getDefaultInstance();
  }

  private Message roleRevokePermission(ApplyBatch batch, State s, AuthRoleRevokePermissionRequest r) {
    Role role = s.roles().get(r.getRole());
    if (role == null) {
      throw AuthErrors.roleNotFound();
    }
    List<Permission> kept =
        role.getKeyPermissionList().stream()
            .filter(p -> !p.getKey().equals(r.getKey()) || !p.getRangeEnd().equals(r.getRangeEnd()))
            .toList();
    if (kept.size() == role.getKeyPermissionCount()) {
      throw AuthErrors.permissionNotGranted();
    }
    Role changed = role.toBuilder().clearKeyPermission().addAllKeyPermission(kept).build();
    TreeMap<String, Role> roles = new TreeMap<>(s.roles());
    roles.put(r.getRole(), changed);
    putRole(batch, changed);
    publish(batch, s, s.enabled(), s.users(), roles);
    LOG.info("revoked a permission on range", "role-name", r.getRole());
    return AuthRoleRevokePermissionResponse.getDefaultInstance();
  }

  /** Persists the next revision with the change and makes the new state visible. */
  private void publish(ApplyBatch batch, State s, boolean enabled, TreeMap<String, User> users, TreeMap<String, Role> roles) {
    long revision = s.revision() + 1;
    batch.putAuth(REVISION_KEY, ByteBuffer.allocate(8).putLong(revision).array());
    state = s.with(enabled, revision, users, roles);
  }

  private static void putUser(ApplyBatch batch, User u) {
    batch.putAuth(key(USER_PREFIX, u.getName().toStringUtf8()), u.toByteArray());
  }

  private static void putRole(ApplyBatch batch, Role r) {
    batch.putAuth(key(ROLE_PREFIX, r.getName().toStringUtf8()), r.toByteArray());
  }

  private static byte[] key(String prefix, String name) {
    return (prefix + name).getBytes(StandardCharsets.UTF_8);
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static <T> T parse(byte[] data, com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt auth record in the backend: " + e.getMessage(), e);
    }
  }
}
