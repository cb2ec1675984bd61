package io.kvorum.server.auth;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.AuthDisableRequest;
import io.etcd.jetcd.api.AuthDisableResponse;
import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthEnableResponse;
import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleAddResponse;
import io.etcd.jetcd.api.AuthRoleDeleteRequest;
import io.etcd.jetcd.api.AuthRoleDeleteResponse;
import io.etcd.jetcd.api.AuthRoleGetRequest;
import io.etcd.jetcd.api.AuthRoleGetResponse;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthRoleGrantPermissionResponse;
import io.etcd.jetcd.api.AuthRoleListRequest;
import io.etcd.jetcd.api.AuthRoleListResponse;
import io.etcd.jetcd.api.AuthRoleRevokePermissionRequest;
import io.etcd.jetcd.api.AuthRoleRevokePermissionResponse;
import io.etcd.jetcd.api.AuthUserAddRequest;
import io.etcd.jetcd.api.AuthUserAddResponse;
import io.etcd.jetcd.api.AuthUserChangePasswordRequest;
import io.etcd.jetcd.api.AuthUserChangePasswordResponse;
import io.etcd.jetcd.api.AuthUserDeleteRequest;
import io.etcd.jetcd.api.AuthUserDeleteResponse;
import io.etcd.jetcd.api.AuthUserGetRequest;
import io.etcd.jetcd.api.AuthUserGetResponse;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.AuthUserGrantRoleResponse;
import io.etcd.jetcd.api.AuthUserListRequest;
import io.etcd.jetcd.api.AuthUserListResponse;
import io.etcd.jetcd.api.AuthUserRevokeRoleRequest;
import io.etcd.jetcd.api.AuthUserRevokeRoleResponse;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DefragmentResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.HashResponse;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.etcd.jetcd.api.MemberPromoteRequest;
import io.etcd.jetcd.api.MemberPromoteResponse;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberRemoveResponse;
import io.etcd.jetcd.api.MemberUpdateRequest;
import io.etcd.jetcd.api.MemberUpdateResponse;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.MoveLeaderResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.kvorum.server.api.EtcdAuth;
import io.kvorum.server.api.EtcdException;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.auth.pb.AuthEntry;
import io.kvorum.server.auth.pb.AuthHeader;
import io.kvorum.server.auth.pb.SetUser;
import io.kvorum.server.grpc.proto.AuthStatusRequest;
import io.kvorum.server.grpc.proto.AuthStatusResponse;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The member as the client port sees it once auth is in place: every request is checked as
 * etcd checks it, then handed to the member; plus etcd's Auth service ({@link EtcdAuth}).
 *
 * <p>Who is asking comes from the call's {@link Credentials}: a simple token (unknown or expired:
 * {@code UNAUTHENTICATED "etcdserver: invalid auth token"}, whether auth is on or not, as in
 * etcd), else with {@code --client-cert-auth} the common name of the verified client
 * certificate, else nobody ({@code "etcdserver: user name is empty"} once auth is on).
 *
 * <p>Where each request is checked (etcd 3.4 unless said otherwise):
 *
 * <ul>
 *   <li>Range: READ on its range, here, before and after the read (the auth revision must not
 *       move meanwhile).
 *   <li>Put, DeleteRange, Txn, LeaseRevoke: by every member when it applies the entry ({@link
 *       AuthStore#applyChecked}, rules in {@link RequestPermissions}); the entry carries the
 *       caller resolved here.
 *   <li>Watch: READ on each create's range; a denied create is answered created+canceled with
 *       etcd's reason, the stream stays open.
 *   <li>LeaseTimeToLive: READ on every attached key (etcd 3.5; 3.4 checked nothing).
 *   <li>Root only: Auth management, MemberAdd/Remove/Update/Promote, Defragment, Snapshot,
 *       Hash, HashKV, and (etcd 3.5) MoveLeader, Downgrade, Alarm activate/deactivate.
 *   <li>Open: Status, MemberList, Alarm list, LeaseGrant, KeepAlive, LeaseLeases, Compact.
 * </ul>
 *
 * Also enforced here: {@code --max-watchers} (watchers per member, across streams).
 */
public final class AuthorizingNode implements EtcdNode, EtcdAuth, AutoCloseable {
  /** The member's door to the Raft log for auth entries; the answer carries etcd's header. */
  @FunctionalInterface
  public interface Proposer {
    CompletableFuture<Message> propose(AuthEntry entry);
  }

  private static final int AUTHENTICATE_ATTEMPTS = 3;
  private static final Duration TOKEN_INDEX_WAIT = Duration.ofSeconds(5);
  static final String TOO_MANY_WATCHERS = "kvorum: too many watchers on this member (--max-watchers)";

  private final EtcdNode member;
  private final AuthStore store;
  private final Proposer proposer;
  private final PasswordHasher hasher;
  private final boolean clientCertAuth;
  private final int maxWatchers;
  private final AtomicInteger watchers = new AtomicInteger();
  private final FailedAuthLog failures = new FailedAuthLog(Duration.ofSeconds(10), System::nanoTime);
  /** bcrypt runs here, never on an event loop; bounded so a password-guessing client cannot queue unbounded CPU work. */
  private final ThreadPoolExecutor hashing =
      new ThreadPoolExecutor(
          2, 2, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(256), Thread.ofPlatform().daemon().name("bcrypt-", 0).factory());
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("auth-timer").factory());

  /**
   * @param clientCertAuth {@code --client-cert-auth}: a verified certificate's CN names the user
   *     when no token is sent
   * @param maxWatchers {@code --max-watchers}, 0 for no limit
   */
  public AuthorizingNode(
      EtcdNode member, AuthStore store, Proposer proposer, PasswordHasher hasher, boolean clientCertAuth, int maxWatchers) {
    this.member = member;
    this.store = store;
    this.proposer = proposer;
    this.hasher = hasher;
    this.clientCertAuth = clientCertAuth;
    this.maxWatchers = maxWatchers;
    GaugeWithCallback.builder()
        .name("etcd_debugging_auth_revision")
        .help("The current revision of auth store.")
        .callback(cb -> cb.call(store.revision()))
        .register(member.metricsRegistry());
  }

  // ------------------------------------------------------------------ who is asking

  /** Resolves the credentials of the current call (call on the call's thread). */
  CompletableFuture<AuthInfo> identity(Credentials c) {
    if (c.token() != null) {
      var known = store.authInfoFromToken(c.token());
      if (known.isPresent()) {
        return CompletableFuture.completedFuture(known.get());
      }
      long index = SimpleTokens.index(c.token());
      if (index > member.info().appliedIndex()) {
        // Issued by another member at an index this one has not applied yet: wait for it.
        return appliedAtLeast(index).thenApply(v -> store.authInfoFromToken(c.token()).orElseThrow(AuthErrors::invalidAuthToken));
      }
      return CompletableFuture.failedFuture(AuthErrors.invalidAuthToken());
    }
    if (c.commonName() != null && clientCertAuth) {
      return CompletableFuture.completedFuture(store.authInfoFromCommonName(c.commonName()));
    }
    return CompletableFuture.completedFuture(AuthInfo.NONE);
  }

  private CompletableFuture<Void> appliedAtLeast(long index) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    long deadline = System.nanoTime() + TOKEN_INDEX_WAIT.toNanos();
    Runnable[] poll = new Runnable[1];
    poll[0] =
        () -> {
          if (member.info().appliedIndex() >= index || System.nanoTime() > deadline) {
            done.complete(null);
          } else {
            timer.schedule(poll[0], 10, TimeUnit.MILLISECONDS);
          }
        };
    poll[0].run();
    return done;
  }

  /** Resolves the caller, then runs {@code call} with it attached (proposals carry it). */
  private <T> CompletableFuture<T> as(Supplier<CompletableFuture<T>> call) {
    Credentials c = Credentials.current();
    return identity(c).thenCompose(who -> Credentials.callAs(who, c, call));
  }

  private <T> CompletableFuture<T> asAdmin(Supplier<CompletableFuture<T>> call) {
    Credentials c = Credentials.current();
    return identity(c)
        .thenCompose(
            who -> {
              store.checkAdmin(who);
              return Credentials.callAs(who, c, call);
            });
  }

  // ------------------------------------------------------------------ KV

  @Override
  public CompletableFuture<RangeResponse> range(RangeRequest r) {
    Credentials c = Credentials.current();
    return identity(c)
        .thenCompose(
            who -> {
              store.checkRead(who, r.getKey(), r.getRangeEnd());
              return member.range(r)
                  .thenApply(
                      response -> {
                        store.checkRevisionUnchanged(who);
                        return response;
                      });
            });
  }

  @Override
  public CompletableFuture<PutResponse> put(PutRequest r) {
    return as(() -> member.put(r));
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest r) {
    return as(() -> member.deleteRange(r));
  }

  @Override
  public CompletableFuture<TxnResponse> txn(TxnRequest r) {
    return as(() -> member.txn(r));
  }

  @Override
  public CompletableFuture<CompactionResponse> compact(CompactionRequest r) {
    return as(() -> member.compact(r));
  }

  // ------------------------------------------------------------------ watch

  @Override
  public WatchStream openWatchStream(Consumer<WatchResponse> sink) {
    return new CheckedWatchStream(Credentials.current(), sink);
  }

  /**
   * One watch stream: creates are checked in the order they arrive (the checks may wait for a
   * token's index), cancels and progress requests keep their place behind them.
   */
  private final class CheckedWatchStream implements WatchStream {
    private final Credentials credentials;
    private final Consumer<WatchResponse> sink;
    private final WatchStream inner;
    private final Set<Long> active = ConcurrentHashMap.newKeySet();
    private final AtomicInteger awaitingCreated = new AtomicInteger();
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private volatile boolean closed;

    CheckedWatchStream(Credentials credentials, Consumer<WatchResponse> sink) {
      this.credentials = credentials;
      this.sink = sink;
      this.inner = member.openWatchStream(this::deliver);
    }

    private void deliver(WatchResponse r) {
      if (r.getCreated()) {
        awaitingCreated.decrementAndGet();
        if (r.getCanceled()) {
          watchers.decrementAndGet();
        } else {
          active.add(r.getWatchId());
        }
      } else if (r.getCanceled() && active.remove(r.getWatchId())) {
        watchers.decrementAndGet();
      }
      sink.accept(r);
    }

    @Override
    public synchronized void create(WatchCreateRequest request) {
      tail =
          tail.thenCompose(v -> identity(credentials))
              .handle(
                  (who, failure) -> {
                    if (closed) {
                      return null;
                    }
                    if (failure != null || !mayRead(who, request)) {
                      sink.accept(refused(request, "rpc error: code = PermissionDenied desc = " + AuthErrors.PERMISSION_DENIED));
                    } else if (maxWatchers > 0 && watchers.incrementAndGet() > maxWatchers) {
                      watchers.decrementAndGet();
                      sink.accept(refused(request, TOO_MANY_WATCHERS + ": " + maxWatchers + " are open; cancel some"));
                    } else {
                      if (maxWatchers <= 0) {
                        watchers.incrementAndGet();
                      }
                      awaitingCreated.incrementAndGet();
                      inner.create(request);
                    }
                    return null;
                  });
    }

    private boolean mayRead(AuthInfo who, WatchCreateRequest request) {
      try {
        store.checkRead(who, request.getKey(), request.getRangeEnd());
        return true;
      } catch (EtcdException denied) {
        return false;
      }
    }

    private WatchResponse refused(WatchCreateRequest request, String reason) {
      EtcdNode.NodeInfo info = member.info();
      return WatchResponse.newBuilder()
          .setHeader(
              ResponseHeader.newBuilder()
                  .setClusterId(info.clusterId())
                  .setMemberId(info.memberId())
                  .setRaftTerm(info.raftTerm()))
          // etcd answers with the create's watch_id, which jetcd's protocol lacks: 0 (auto) then.
          .setCreated(true)
          .setCanceled(true)
          .setCancelReason(reason)
          .build();
    }

    @Override
    public synchronized void cancel(long watchId) {
      tail = tail.thenRun(() -> inner.cancel(watchId));
    }

    @Override
    public synchronized void requestProgress() {
      tail = tail.thenRun(inner::requestProgress);
    }

    @Override
    public void close() {
      closed = true;
      inner.close();
      watchers.addAndGet(-(active.size() + Math.max(0, awaitingCreated.get())));
      active.clear();
    }
  }

  // ------------------------------------------------------------------ lease

  @Override
  public CompletableFuture<LeaseGrantResponse> leaseGrant(LeaseGrantRequest r) {
    return as(() -> member.leaseGrant(r));
  }

  @Override
  public CompletableFuture<LeaseRevokeResponse> leaseRevoke(LeaseRevokeRequest r) {
    return as(() -> member.leaseRevoke(r));
  }

  @Override
  public CompletableFuture<LeaseKeepAliveResponse> leaseKeepAlive(LeaseKeepAliveRequest r) {
    return member.leaseKeepAlive(r);
  }

  /** etcd 3.5's check: the caller must be able to read every key attached to the lease. */
  @Override
  public CompletableFuture<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest r) {
    Credentials c = Credentials.current();
    return identity(c)
        .thenCompose(
            who -> {
              if (store.enabled() && who.anonymous()) {
                throw AuthErrors.userEmpty();
              }
              return Credentials.callAs(who, c, () -> member.leaseTimeToLive(r.toBuilder().setKeys(true).build()))
                  .thenApply(
                      response -> {
                        for (ByteString key : response.getKeysList()) {
                          store.checkRead(who, key, ByteString.EMPTY);
                        }
                        return r.getKeys() ? response : response.toBuilder().clearKeys().build();
                      });
            });
  }

  @Override
  public CompletableFuture<LeaseList> leaseLeases() {
    return member.leaseLeases();
  }

  // ------------------------------------------------------------------ cluster

  @Override
  public CompletableFuture<MemberListResponse> memberList(MemberListRequest r) {
    return member.memberList(r);
  }

  @Override
  public CompletableFuture<MemberAddResponse> memberAdd(MemberAddRequest r) {
    return asAdmin(() -> member.memberAdd(r));
  }

  @Override
  public CompletableFuture<MemberRemoveResponse> memberRemove(MemberRemoveRequest r) {
    return asAdmin(() -> member.memberRemove(r));
  }

  @Override
  public CompletableFuture<MemberUpdateResponse> memberUpdate(MemberUpdateRequest r) {
    return asAdmin(() -> member.memberUpdate(r));
  }

  @Override
  public CompletableFuture<MemberPromoteResponse> memberPromote(MemberPromoteRequest r) {
    return asAdmin(() -> member.memberPromote(r));
  }

  // ------------------------------------------------------------------ maintenance

  @Override
  public CompletableFuture<StatusResponse> status() {
    return member.status();
  }

  @Override
  public CompletableFuture<InputStream> snapshot() {
    return asAdmin(member::snapshot);
  }

  @Override
  public CompletableFuture<DefragmentResponse> defragment() {
    return asAdmin(member::defragment);
  }

  @Override
  public CompletableFuture<AlarmResponse> alarm(AlarmRequest r) {
    if (r.getAction() == AlarmRequest.AlarmAction.GET) {
      return member.alarm(r);
    }
    return asAdmin(() -> member.alarm(r));
  }

  @Override
  public CompletableFuture<HashResponse> hash() {
    return asAdmin(member::hash);
  }

  @Override
  public CompletableFuture<HashKVResponse> hashKV(HashKVRequest r) {
    return asAdmin(() -> member.hashKV(r));
  }

  @Override
  public CompletableFuture<MoveLeaderResponse> moveLeader(MoveLeaderRequest r) {
    return asAdmin(() -> member.moveLeader(r));
  }

  @Override
  public CompletableFuture<DowngradeResponse> downgrade(DowngradeRequest r) {
    return asAdmin(() -> member.downgrade(r));
  }

  @Override
  public CompletableFuture<Void> drain(java.time.Duration duration) {
    return asAdmin(() -> member.drain(duration));
  }

  @Override
  public NodeInfo info() {
    return member.info();
  }

  @Override
  public CompletableFuture<Health> health() {
    return member.health();
  }

  @Override
  public PrometheusRegistry metricsRegistry() {
    return member.metricsRegistry();
  }

  @Override
  public EtcdAuth auth() {
    return this;
  }

  // ------------------------------------------------------------------ Auth service

  @Override
  public CompletableFuture<AuthEnableResponse> authEnable(AuthEnableRequest r) {
    return propose(AuthEntry.newBuilder().setEnable(r));
  }

  @Override
  public CompletableFuture<AuthDisableResponse> authDisable(AuthDisableRequest r) {
    return propose(AuthEntry.newBuilder().setDisable(r));
  }

  @Override
  public CompletableFuture<AuthStatusResponse> authStatus(AuthStatusRequest r) {
    return propose(AuthEntry.newBuilder().setStatus(r));
  }

  /**
   * etcd's Authenticate: the password is checked here (bcrypt, off the event loop), then an
   * entry without it issues the token on every member. If the auth state changed between check
   * and apply (a password change, say), the check is repeated.
   */
  @Override
  public CompletableFuture<AuthenticateResponse> authenticate(AuthenticateRequest r) {
    return authenticate(Credentials.current(), r, AUTHENTICATE_ATTEMPTS);
  }

  private CompletableFuture<AuthenticateResponse> authenticate(Credentials c, AuthenticateRequest r, int attemptsLeft) {
    return offLoop(() -> store.checkPassword(r.getName(), r.getPassword()))
        .whenComplete(
            (rev, failure) -> {
              if (failure != null && unwrap(failure) instanceof EtcdException e && e.code() == Status.Code.INVALID_ARGUMENT) {
                failures.failed(r.getName(), e.getMessage());
              }
            })
        .thenCompose(
            checkedAt ->
                this.<AuthenticateResponse>propose(
                        c,
                        AuthEntry.newBuilder()
                            .setAuthenticate(
                                io.kvorum.server.auth.pb.Authenticate.newBuilder()
                                    .setName(r.getName())
                                    .setTokenPrefix(SimpleTokens.newPrefix())))
                    .thenCompose(
                        response ->
                            checkedAt == store.revision() || attemptsLeft <= 1
                                ? CompletableFuture.completedFuture(response)
                                : authenticate(c, r, attemptsLeft - 1)));
  }

  @Override
  public CompletableFuture<AuthUserAddResponse> userAdd(AuthUserAddRequest r) {
    Credentials c = Credentials.current();
    return offLoop(() -> hasher.hash(r.getPassword()))
        .thenCompose(hash -> propose(c, AuthEntry.newBuilder().setUserAdd(setUser(r.getName(), hash))));
  }

  @Override
  public CompletableFuture<AuthUserGetResponse> userGet(AuthUserGetRequest r) {
    return propose(AuthEntry.newBuilder().setUserGet(r));
  }

  @Override
  public CompletableFuture<AuthUserListResponse> userList(AuthUserListRequest r) {
    return propose(AuthEntry.newBuilder().setUserList(r));
  }

  @Override
  public CompletableFuture<AuthUserDeleteResponse> userDelete(AuthUserDeleteRequest r) {
    return propose(AuthEntry.newBuilder().setUserDelete(r));
  }

  @Override
  public CompletableFuture<AuthUserChangePasswordResponse> userChangePassword(AuthUserChangePasswordRequest r) {
    Credentials c = Credentials.current();
    return offLoop(() -> hasher.hash(r.getPassword()))
        .thenCompose(hash -> propose(c, AuthEntry.newBuilder().setUserChangePassword(setUser(r.getName(), hash))));
  }

  @Override
  public CompletableFuture<AuthUserGrantRoleResponse> userGrantRole(AuthUserGrantRoleRequest r) {
    return propose(AuthEntry.newBuilder().setUserGrantRole(r));
  }

  @Override
  public CompletableFuture<AuthUserRevokeRoleResponse> userRevokeRole(AuthUserRevokeRoleRequest r) {
    return propose(AuthEntry.newBuilder().setUserRevokeRole(r));
  }

  @Override
  public CompletableFuture<AuthRoleAddResponse> roleAdd(AuthRoleAddRequest r) {
    return propose(AuthEntry.newBuilder().setRoleAdd(r));
  }

  @Override
  public CompletableFuture<AuthRoleGetResponse> roleGet(AuthRoleGetRequest r) {
    return propose(AuthEntry.newBuilder().setRoleGet(r));
  }

  @Override
  public CompletableFuture<AuthRoleListResponse> roleList(AuthRoleListRequest r) {
    return propose(AuthEntry.newBuilder().setRoleList(r));
  }

  @Override
  public CompletableFuture<AuthRoleDeleteResponse> roleDelete(AuthRoleDeleteRequest r) {
    return propose(AuthEntry.newBuilder().setRoleDelete(r));
  }

  @Override
  public CompletableFuture<AuthRoleGrantPermissionResponse> roleGrantPermission(AuthRoleGrantPermissionRequest r) {
    return propose(AuthEntry.newBuilder().setRoleGrantPermission(r));
  }

  @Override
  public CompletableFuture<AuthRoleRevokePermissionResponse> roleRevokePermission(AuthRoleRevokePermissionRequest r) {
    return propose(AuthEntry.newBuilder().setRoleRevokePermission(r));
  }

  private static SetUser setUser(String name, byte[] hash) {
    return SetUser.newBuilder().setName(name).setPasswordHash(ByteString.copyFrom(hash)).build();
  }

  /** Proposes the entry with the caller of the current call attached (call on the call's thread). */
  private <T> CompletableFuture<T> propose(AuthEntry.Builder entry) {
    return propose(Credentials.current(), entry);
  }

  /**
   * Proposes the entry as the caller that presented {@code c}; the member checks and applies
   * it. Work done off the call's thread first (bcrypt) must capture {@code c} before it leaves.
   */
  @SuppressWarnings("unchecked")
  private <T> CompletableFuture<T> propose(Credentials c, AuthEntry.Builder entry) {
    return identity(c)
        .thenCompose(
            who ->
                proposer.propose(
                    entry.setHeader(AuthHeader.newBuilder().setUsername(who.user()).setRevision(who.revision())).build()))
        .thenApply(m -> (T) m);
  }

  private <T> CompletableFuture<T> offLoop(Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, hashing);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(
          new EtcdException(Status.Code.RESOURCE_EXHAUSTED, "etcdserver: too many requests"));
    }
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public void close() {
    hashing.shutdownNow();
    timer.shutdownNow();
  }
}
