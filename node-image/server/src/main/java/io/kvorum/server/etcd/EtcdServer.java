package io.kvorum.server.etcd;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.etcd.jetcd.api.AlarmMember;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.AlarmType;
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
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.kvorum.raft.Config;
import io.kvorum.raft.PeerProgress;
import io.kvorum.raft.ProposalDroppedException;
import io.kvorum.raft.RaftLogger;
import io.kvorum.raft.RawNode;
import io.kvorum.raft.ReadState;
import io.kvorum.raft.Ready;
import io.kvorum.raft.SoftState;
import io.kvorum.raft.StateRole;
import io.kvorum.raft.pb.ConfChange;
import io.kvorum.raft.pb.ConfChangeType;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.EntryType;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import io.kvorum.raft.pb.Snapshot;
import io.kvorum.server.api.EtcdException;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.auth.AuthStore;
import io.kvorum.server.auth.Credentials;
import io.kvorum.server.auth.SimpleTokens;
import io.kvorum.server.auth.pb.AuthEntry;
import io.kvorum.server.auth.pb.AuthHeader;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import io.kvorum.server.config.ServerConfig;
import io.kvorum.server.log.Log;
import io.kvorum.server.membership.ClusterMembers;
import io.kvorum.server.membership.MemberIds;
import io.kvorum.server.membership.pb.ClusterState;
import io.kvorum.server.membership.pb.ClusterVersionSet;
import io.kvorum.server.membership.pb.ConfChangeContext;
import io.kvorum.server.membership.pb.DowngradeSet;
import io.kvorum.server.membership.pb.InternalRequest;
import io.kvorum.server.membership.pb.LeaseRevokeBatch;
import io.kvorum.server.membership.pb.Member;
import io.kvorum.server.membership.pb.MembersResponse;
import io.kvorum.server.membership.pb.RequestType;
import io.kvorum.server.peer.HandshakeCheck;
import io.kvorum.server.peer.PeerHandler;
import io.kvorum.server.peer.PeerServer;
import io.kvorum.server.peer.PeerTransport;
import io.kvorum.server.tls.MemberTls;
import io.kvorum.server.peer.TransportListener;
import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.VersionResponse;
import io.kvorum.server.version.Capability;
import io.kvorum.server.version.ClusterVersionDecider;
import io.kvorum.server.version.DataDirVersion;
import io.kvorum.server.version.JoinPolicy;
import io.kvorum.server.version.ServerVersion;
import io.kvorum.server.version.Version;
import io.kvorum.storage.DataDir;
import io.kvorum.storage.FileTrees;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.failpoint.Failpoints;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import io.kvorum.storage.snap.BackendSnapshot;
import io.kvorum.storage.wal.Wal;
import io.kvorum.storage.wal.WalStorage;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One kvorum member (etcd's {@code EtcdServer}): drives the Raft node, persists to the WAL,
 * applies committed entries to the MVCC store, talks to peers, and serves the client port
 * through {@link EtcdNode}.
 *
 * <p><b>Threads.</b> The {@link RaftLoop} thread owns the Raft node and everything marked
 * "loop only"; it persists each Ready (fsync when Raft says so), sends its messages, applies its
 * committed entries in one backend batch together with the applied index, and answers waiting
 * clients after the batch is durable. Client calls run on gRPC/Vert.x threads: they submit
 * proposals to the loop and wait on futures; reads run on a reader pool.
 *
 * <p><b>Proposals.</b> A write is an {@link InternalRequest} (type, etcd's request bytes, a
 * request id and the proposing member). Every member applies it; only the proposer completes
 * its client's future, with the response the apply produced. A request that is not applied
 * within the request timeout fails with "etcdserver: request timed out".
 *
 * <p><b>Restart.</b> Raft is told the applied index of the last snapshot, so the entries after
 * it are handed out again; membership and cluster-version entries are re-applied (they are
 * idempotent), key-space entries at or below the backend's consistent index are skipped (they
 * are in the backend already). Nothing is applied twice to the key space, nothing is skipped.
 */
public final class EtcdServer implements EtcdNode, PeerHandler, TransportListener, AutoCloseable {
  private static final Log LOG = Log.get(EtcdServer.class);

  /** Entries kept in the log behind a snapshot, so a slightly slow follower needs no snapshot. */

  private static final long MAX_RAFT_MESSAGE_BYTES = 1024 * 1024;

  private final ServerConfig config;
  private final SnapshotPolicy snapshotPolicy;
  private final Version serverVersion = ServerVersion.current();
  private final DataDir dataDir;
  private final long memberId;
  private final ClusterMembers cluster;
  /** Members named by --initial-cluster: names and URLs for the bootstrap entries, which carry only ids. */
  private final ClusterMembers initialMembers;
  private final WalStorage wal;
  private final StoreOptions storeOptions;
  private volatile Backend backend;
  private final MvccStore store;
  private final RawNode node;
  private final RaftLoop loop;
  private final PeerTransport transport;
  private final PeerServer peerServer;
  private final MemberTls tls;
  private final LeaderClient leaderClient;
  private final ServerMetrics metrics;
  /** Users, roles, permissions and tokens, replicated as AUTH entries and kept in the backend. */
  private final AuthStore auth;
  private final Duration requestTimeout;
  private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService background =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("member-background").factory());
  private final Map<Long, CompletableFuture<Object>> waits = new ConcurrentHashMap<>();
  /** Times out proposals and linearizable reads; its own thread, as background tasks may block. */
  private final Deadlines deadlines = new Deadlines();
  private final ScheduledExecutorService deadlineSweeper =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("request-deadlines").factory());
  private final AtomicLong nextRequestId;
  private final Map<Long, Path> receivedSnapshots = new ConcurrentHashMap<>();
  private final Map<Long, Long> revokesInFlight = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();

  // Loop only.
  private long appliedIndex;
  private long snapshotIndex;
  private ConfState confState;
  private List<CompletableFuture<Void>> readsWaitingForIndex = new ArrayList<>();
  /**
   * Proposals a leadership transfer dropped, to propose again once another leader is known: this
   * member's own ({@link #proposeOrHold}) and those followers forwarded to it while it handed
   * over ({@link #receive}). The leader when they were held.
   */
  private List<HeldProposal> proposalsAwaitingLeader = new ArrayList<>();
  private List<HeldForward> forwardsAwaitingLeader = new ArrayList<>();
  private long leaderWhenHeld;
  /** The last tick at which a leader was known. */
  private long lastTickWithLeader;
  private final Map<Long, PendingReads> readsInFlight = new HashMap<>();
  private final List<PendingReads> readsWaitingForApply = new ArrayList<>();
  private long nextReadContext;
  private long ticks;
  private boolean electionTicksAdvanced;

  // Views for other threads.
  private volatile long leaderId;
  private volatile long term;
  private volatile long commitIndex;
  private volatile long appliedView;
  private volatile boolean stopping;
  private volatile boolean published;
  private final DrainWindow drainWindow = new DrainWindow(System::nanoTime);

  private record PendingReads(long index, long requestedAtTick, List<CompletableFuture<Void>> reads) {}

  private EtcdServer(
      ServerConfig config,
      DataDir dataDir,
      long memberId,
      ClusterMembers cluster,
      ClusterMembers initialMembers,
      WalStorage wal,
      boolean bootstrap,
      MemberTls tls) {
    this.tls = tls;
    this.config = config;
    this.snapshotPolicy = new SnapshotPolicy(config.snapshotCount(), config.snapshotLogBytes());
    this.dataDir = dataDir;
    this.memberId = memberId;
    this.cluster = cluster;
    this.initialMembers = initialMembers;
    this.wal = wal;
    this.requestTimeout = Duration.ofSeconds(5).plus(config.electionTimeout().multipliedBy(2));
    this.nextRequestId = new AtomicLong((System.currentTimeMillis() & 0xFFFFFFFFFFL) << 20);
    this.metrics = new ServerMetrics(serverVersion.toString());
    this.storeOptions = StoreOptions.defaults().withQuotaBackendBytes(config.quotaBackendBytes());
    this.backend = Backend.open(dataDir.dbDir());
    this.store = MvccStore.open(backend, storeOptions);
    this.auth = new AuthStore(new SimpleTokens(config.authTokenTtl(), System::nanoTime));
    auth.recover(store);

    Snapshot snap = wal.snapshot();
    this.snapshotIndex = snap.getMetadata().getIndex();
    this.appliedIndex = snapshotIndex;
    this.appliedView = appliedIndex;
    this.confState = wal.initialState().confState();
    if (snapshotIndex > 0) {
      cluster.restore(parseClusterState(snap.getData()));
    }
    this.node =
        new RawNode(
            Config.builder(memberId, wal)
                .electionTick(config.electionTicks())
                .heartbeatTick(1)
                .applied(appliedIndex)
                .checkQuorum(true)
                .preVote(true)
                .maxSizePerMsg(MAX_RAFT_MESSAGE_BYTES)
                .maxInflightMsgs(256)
                .logger(raftLogger())
                .build());
    if (bootstrap) {
      node.bootstrap(initialMembers.members().stream().map(Member::getId).toList());
    }
    this.loop = new RaftLoop(config.heartbeatInterval(), new LoopBody());
    this.transport = new PeerTransport(memberId, this::handshake, this, tls.peerChannels());
    this.peerServer = new PeerServer(this);
    this.leaderClient = new LeaderClient(requestTimeout, tls.clientChannels());
    metrics.storeGauges(() -> store.sizeBytes(), () -> store.sizeInUseBytes());
    metrics.histogram("etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL.", wal::fsyncDurations);
    metrics.histogram(
        "etcd_disk_backend_commit_duration_seconds", "The latency distributions of commit called by backend.", () -> backend.commitDurations());
    if (!cluster.clusterVersion().isEmpty()) {
      metrics.setClusterVersion(majorMinor(cluster.clusterVersion()));
    }
  }

  /**
   * Opens (or creates) the member's data dir, starts Raft and the peer port. Bootstraps a new
   * cluster from {@code --initial-cluster}, restarts from the data dir, or joins an existing
   * cluster ({@code --initial-cluster-state existing}, after MemberAdd).
   *
   * @param tls the member's certificates, for the peer port and for dialing other members
   * @throws StartException with a message for the user when the member must not start
   */
  public static EtcdServer start(ServerConfig config, MemberTls tls) throws IOException {
    DataDir dataDir = new DataDir(config.dataDir());
    try {
      dataDir.checkStartable();
    } catch (DataDir.DataDirException e) {
      throw new StartException(e.getMessage());
    }
    ClusterMembers initial = ClusterMembers.fromInitialCluster(config.initialCluster(), config.initialClusterToken());
    EtcdServer server;
    if (dataDir.hasWal()) {
      Optional<Version> recorded = DataDirVersion.read(dataDir.memberDir());
      String tooOld = recorded.map(v -> DataDirVersion.refusal(v, ServerVersion.current())).orElse(null);
      if (tooOld != null) {
        throw new StartException(tooOld);
      }
      checkJoin(config, initial, tls);
      WalStorage wal = WalStorage.open(dataDir.walDir(), dataDir.snapDir(), Wal.DEFAULT_SEGMENT_BYTES);
      ByteBuffer meta = ByteBuffer.wrap(wal.metadata().toByteArray());
      long memberId = meta.getLong();
      long clusterId = meta.getLong();
      LOG.info(
          "restarting local member",
          "local-member-id", hex(memberId),
          "cluster-id", hex(clusterId),
          "data-dir", config.dataDir().toString());
      server = new EtcdServer(config, dataDir, memberId, ClusterMembers.empty(clusterId), initial, wal, false, tls);
    } else if (config.initialClusterState() == ServerConfig.ClusterState.NEW) {
      long memberId = MemberIds.memberId(config.initialAdvertisePeerUrls(), config.initialClusterToken(), null);
      Files.createDirectories(dataDir.memberDir());
      WalStorage wal = WalStorage.create(dataDir.walDir(), dataDir.snapDir(), metadata(memberId, initial.clusterId()), Wal.DEFAULT_SEGMENT_BYTES);
      LOG.info(
          "starting local member",
          "local-member-id", hex(memberId),
          "cluster-id", hex(initial.clusterId()),
          "initial-cluster", config.initialCluster().toString());
      server = new EtcdServer(config, dataDir, memberId, ClusterMembers.empty(initial.clusterId()), initial, wal, true, tls);
    } else {
      checkJoin(config, initial, tls);
      ClusterState remote = fetchExistingCluster(config, tls);
      List<String> own = config.initialAdvertisePeerUrls().stream().map(URI::toString).toList();
      Member self =
          remote.getMembersList().stream()
              .filter(m -> m.getPeerUrlsList().stream().anyMatch(own::contains))
              .findFirst()
              .orElseThrow(
                  () ->
                      new StartException(
                          "this member's peer URLs "
                              + own
                              + " are not in the cluster's member list; run 'etcdctl member add "
                              + config.name()
                              + " --peer-urls="
                              + String.join(",", own)
                              + "' first"));
      Files.createDirectories(dataDir.memberDir());
      WalStorage wal = WalStorage.create(dataDir.walDir(), dataDir.snapDir(), metadata(self.getId(), remote.getClusterId()), Wal.DEFAULT_SEGMENT_BYTES);
      LOG.info("joining existing cluster", "local-member-id", hex(self.getId()), "cluster-id", hex(remote.getClusterId()));
      server = new EtcdServer(config, dataDir, self.getId(), ClusterMembers.empty(remote.getClusterId()), ClusterMembers.fromProto(remote), wal, false, tls);
    }
    server.startServing();
    return server;
  }

  /**
   * Follower-controlled join (seed 001): before a restarting or joining member talks Raft, it
   * asks the other members for the cluster version and refuses to start when its own version
   * cannot join (see {@link JoinPolicy}). When no member answers (the whole cluster is
   * restarting) it goes ahead; the peers' handshake check still applies.
   */
  private static void checkJoin(ServerConfig config, ClusterMembers initial, MemberTls tls) {
    List<URI> own = config.initialAdvertisePeerUrls();
    for (Member m : initial.members()) {
      for (String raw : m.getPeerUrlsList()) {
        URI url = URI.create(raw);
        if (own.contains(url)) {
          continue;
        }
        VersionResponse v;
        try {
          v = PeerTransport.fetchVersion(tls.peerChannels(), url, Duration.ofSeconds(1));
        } catch (RuntimeException e) {
          continue;
        }
        if (v.getClusterVersion().isEmpty()) {
          continue;
        }
        String refusal = JoinPolicy.refusal(v.getClusterVersion(), ServerVersion.current().toString());
        if (refusal != null) {
          throw new StartException("cannot join the cluster (member " + hex(v.getMemberId()) + " at " + url + " reports cluster version " + v.getClusterVersion() + "): " + refusal);
        }
        LOG.info("cluster version allows this member to join", "cluster-version", v.getClusterVersion(), "server-version", ServerVersion.current().toString(), "asked", url.toString());
        return;
      }
    }
  }

  private static ClusterState fetchExistingCluster(ServerConfig config, MemberTls tls) {
    List<URI> own = config.initialAdvertisePeerUrls();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String lastError = "no other member in --initial-cluster";
    while (System.nanoTime() < deadline) {
      for (List<URI> urls : config.initialCluster().values()) {
        for (URI url : urls) {
          if (own.contains(url)) {
            continue;
          }
          try {
            return PeerTransport.fetchMembers(tls.peerChannels(), url, Duration.ofSeconds(2)).getCluster();
          } catch (RuntimeException e) {
            lastError = url + ": " + e.getMessage();
          }
        }
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new StartException("cannot fetch the member list of the existing cluster from --initial-cluster (" + lastError + ")");
  }

  private static ByteString metadata(long memberId, long clusterId) {
    return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(memberId).putLong(clusterId).array());
  }

  private void startServing() throws IOException {
    for (Member m : initialMembers.members()) {
      if (!cluster.isRemoved(m.getId())) {
        transport.upsertPeer(m.getId(), urls(m.getPeerUrlsList()));
      }
    }
    for (Member m : cluster.members()) {
      transport.upsertPeer(m.getId(), urls(m.getPeerUrlsList()));
    }
    peerServer.start(config.listenPeerUrls(), tls.peer());
    loop.start();
    deadlineSweeper.scheduleWithFixedDelay(() -> deadlines.expire(System.nanoTime()), 50, 50, TimeUnit.MILLISECONDS);
    background.scheduleWithFixedDelay(guard(this::publishAttributes), 0, 500, TimeUnit.MILLISECONDS);
    background.scheduleWithFixedDelay(guard(this::revokeExpiredLeases), 500, 500, TimeUnit.MILLISECONDS);
    background.scheduleWithFixedDelay(guard(this::monitorVersions), 1000, 1000, TimeUnit.MILLISECONDS);
    LOG.info(
        "started member",
        "name", config.name(),
        "local-member-id", hex(memberId),
        "server-version", serverVersion.toString(),
        "advertise-client-urls", config.advertiseClientUrls().stream().map(URI::toString).toList());
  }

  private static Runnable guard(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.debug("background task failed", "error", e);
      }
    };
  }

  /** Completes when the member stopped (normally, removed from the cluster, or failed). */
  public CompletableFuture<Void> terminated() {
    return terminated;
  }

  public long memberId() {
    return memberId;
  }

  public long clusterId() {
    return cluster.clusterId();
  }

  // ------------------------------------------------------------------ the Raft loop

  private final class LoopBody implements RaftLoop.Body {
    @Override
    public void tick() {
      node.tick();
      ticks++;
      maybeAdvanceElectionTicks();
      retryStaleReads();
      failHeldProposalsWithoutLeader();
      if (leaderId != 0) {
        retryHeldProposals(); // in case the transfer was aborted and the leader stayed
      }
    }

    @Override
    public void afterRound() {
      if (leaderId != 0 && leaderId != leaderWhenHeld) {
        retryHeldProposals();
      }
      requestReadIndex();
      while (node.hasReady()) {
        handleReady(node.ready());
      }
      maybeSnapshot();
    }

    @Override
    public void fatal(Throwable t) {
      LOG.error("member failed; stopping", "error", String.valueOf(t));
      terminated.completeExceptionally(t);
    }
  }

  /**
   * Loop only: etcd's {@code adjustTicks}. A member that starts without a leader would wait a
   * whole randomized election timeout (1 to 2 s by default) after its peers are reachable before
   * anyone campaigns. Once a quorum is reachable (or at once when it is the only voter) it
   * fast-forwards its election clock to two ticks short of the timeout, so the first election
   * comes within a few ticks. Done once, within the first five seconds, and never while a leader
   * is known: a member that hears from a leader resets its clock anyway, and pre-vote keeps an
   * early candidate from disturbing a leader it has not heard of yet.
   */
  private void maybeAdvanceElectionTicks() {
    if (electionTicksAdvanced) {
      return;
    }
    long windowTicks = Duration.ofSeconds(5).toMillis() / config.heartbeatInterval().toMillis();
    if (leaderId != 0 || ticks > windowTicks) {
      electionTicksAdvanced = true;
      return;
    }
    List<Long> voters = confState.getVotersList();
    if (!voters.contains(memberId)) {
      return;
    }
    long reachable = voters.stream().filter(id -> id == memberId || transport.connected(id)).count();
    if (reachable * 2 <= voters.size()) {
      return;
    }
    int advance = voters.size() == 1 ? config.electionTicks() - 1 : config.electionTicks() - 2;
    for (int i = 0; i < advance; i++) {
      node.tick();
    }
    electionTicksAdvanced = true;
    LOG.info("fast-forwarded election ticks", "local-member-id", hex(memberId), "forward-ticks", advance, "reachable-voters", reachable);
  }

  private void handleReady(Ready rd) {
    rd.softState().ifPresent(this::onSoftState);
    List<Message> afterPersist = rd.messages();
    if (leaderId == memberId) {
      afterPersist = sendReplicationFirst(rd.messages());
    }
    rd.snapshot().ifPresent(wal::applySnapshot);
    wal.save(rd.hardState().orElse(null), rd.entries(), rd.mustSync());
    rd.hardState()
        .ifPresent(
            hs -> {
              term = hs.getTerm();
              commitIndex = hs.getCommit();
            });
    send(afterPersist);
    rd.snapshot().ifPresent(this::applySnapshot);
    metrics.proposalsCommitted.inc(rd.committedEntries().size());
    applyEntries(rd.committedEntries());
    for (ReadState rs : rd.readStates()) {
      long ctx = ByteBuffer.wrap(rs.requestContext().toByteArray()).getLong();
      PendingReads pending = readsInFlight.remove(ctx);
      if (pending != null) {
        readsWaitingForApply.add(new PendingReads(rs.index(), ticks, pending.reads()));
      }
    }
    serveReads();
    node.advance();
  }

  /**
   * Sends a leader's appends and heartbeats before its own WAL fsync, so the followers' fsyncs
   * overlap the leader's instead of following it (Raft thesis §10.2.1; etcd does the same);
   * returns the messages that must still wait for the fsync.
   *
   * <p>Why this is safe: the leader's term and vote were persisted before it could win (its vote
   * requests wait for the fsync), an entry commits only when the leader steps a follower's
   * acknowledgement, which happens on this thread after {@code wal.save} below returns, and
   * committed entries are applied, and clients answered, only after it. Everything else (vote
   * and append responses, read-index answers) keeps the persist-then-send rule.
   */
  private List<Message> sendReplicationFirst(List<Message> messages) {
    List<Message> early = new ArrayList<>(messages.size());
    List<Message> late = new ArrayList<>();
    for (Message m : messages) {
      if (m.getType() == MessageType.MSG_APP || m.getType() == MessageType.MSG_HEARTBEAT) {
        early.add(m);
      } else {
        late.add(m);
      }
    }
    transport.send(early);
    return late;
  }

  private void send(List<Message> messages) {
    List<Message> normal = new ArrayList<>(messages.size());
    for (Message m : messages) {
      if (m.getType() == MessageType.MSG_SNAP) {
        LOG.info(
            "sending database snapshot",
            "remote-peer-id", hex(m.getTo()),
            "snapshot-index", m.getSnapshot().getMetadata().getIndex());
        transport.sendSnapshot(m, this::openDatabaseCopy);
      } else {
        normal.add(m);
      }
    }
    transport.send(normal);
  }

  private void onSoftState(SoftState ss) {
    long previous = leaderId;
    leaderId = ss.lead();
    metrics.isLeader.set(ss.role() == StateRole.LEADER ? 1 : 0);
    metrics.hasLeader.set(ss.lead() != 0 ? 1 : 0);
    if (previous != ss.lead()) {
      if (ss.lead() == 0) {
        LOG.info("raft.node: lost leader", "local-member-id", hex(memberId), "lost-leader-id", hex(previous), "term", term);
      } else {
        metrics.leaderChanges.inc();
        LOG.info("raft.node: elected leader", "local-member-id", hex(memberId), "elected-leader-id", hex(ss.lead()), "term", term);
      }
    }
    if (ss.role() == StateRole.LEADER && !store.lessor().isPrimary()) {
      store.lessor().promote(config.electionTimeout().toNanos());
    } else if (ss.role() != StateRole.LEADER && store.lessor().isPrimary()) {
      store.lessor().demote();
    }
  }

  // ------------------------------------------------------------------ apply

  private static boolean touchesKeySpace(RequestType type) {
    return switch (type) {
      case PUT, DELETE_RANGE, TXN, COMPACTION, LEASE_GRANT, LEASE_REVOKE, LEASE_REVOKE_BATCH, ALARM, AUTH -> true;
      default -> false;
    };
  }

  private void applyEntries(List<Entry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    List<Runnable> answers = new ArrayList<>();
    long consistentIndex = store.consistentIndex();
    ApplyBatch batch = null;
    try {
      for (Entry e : entries) {
        if (e.getIndex() <= appliedIndex) {
          continue;
        }
        Failpoints.hit(Failpoints.APPLY_BEFORE);
        if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
          applyConfChange(e, answers);
        } else if (!e.getData().isEmpty()) {
          InternalRequest req = parse(e.getData(), InternalRequest.parser());
          Object result;
          if (touchesKeySpace(req.getType())) {
            if (e.getIndex() <= consistentIndex) {
              result = null;
            } else {
              if (batch == null) {
                batch = store.beginApply();
              }
              ApplyBatch open = batch;
              result =
                  req.getType() == RequestType.AUTH
                      ? auth.apply(open, parse(req.getPayload(), AuthEntry.parser()), e.getIndex())
                      : auth.applyChecked(req, id -> store.lessor().keysOf(id), () -> applyToStore(open, req));
            }
          } else {
            result = applyToCluster(req);
          }
          if (req.getOrigin() == memberId) {
            answers.add(() -> answer(req.getId(), result));
          }
        }
        appliedIndex = e.getIndex();
        metrics.proposalsApplied.inc();
        Failpoints.hit(Failpoints.APPLY_AFTER);
      }
      if (batch != null) {
        batch.commit(appliedIndex);
      }
    } finally {
      if (batch != null) {
        batch.close();
      }
    }
    appliedView = appliedIndex;
    answers.forEach(Runnable::run);
  }

  private Object applyToStore(ApplyBatch batch, InternalRequest req) {
    try {
      ByteString p = req.getPayload();
      return switch (req.getType()) {
        case PUT -> batch.put(parse(p, PutRequest.parser()));
        case DELETE_RANGE -> batch.deleteRange(parse(p, DeleteRangeRequest.parser()));
        case TXN -> batch.txn(parse(p, TxnRequest.parser()));
        case COMPACTION -> batch.compact(parse(p, CompactionRequest.parser()));
        case LEASE_GRANT -> batch.leaseGrant(parse(p, LeaseGrantRequest.parser()));
        case LEASE_REVOKE -> {
          LeaseRevokeRequest r = parse(p, LeaseRevokeRequest.parser());
          revokesInFlight.remove(r.getID());
          yield batch.leaseRevoke(r);
        }
        case LEASE_REVOKE_BATCH -> {
          List<Long> ids = parse(p, LeaseRevokeBatch.parser()).getIdsList();
          int revoked = 0;
          for (long id : ids) {
            revokesInFlight.remove(id);
            try {
              batch.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(id).build());
              revoked++;
            } catch (io.kvorum.storage.EtcdException e) {
              // Revoked by a client meanwhile: nothing left to do for this one.
            }
          }
          LOG.info("revoked expired leases in one entry", "leases", ids.size(), "revoked", revoked);
          yield null;
        }
        case ALARM -> {
          AlarmRequest a = parse(p, AlarmRequest.parser());
          if (a.getAlarm() == AlarmType.NOSPACE || a.getAlarm() == AlarmType.NONE) {
            if (a.getAction() == AlarmRequest.AlarmAction.ACTIVATE && a.getAlarm() == AlarmType.NOSPACE) {
              batch.setNoSpaceAlarm(true);
              LOG.warn("alarm raised", "alarm", "NOSPACE", "from", hex(a.getMemberID()));
            } else if (a.getAction() == AlarmRequest.AlarmAction.DEACTIVATE) {
              batch.setNoSpaceAlarm(false);
              LOG.info("alarm disarmed", "alarm", "NOSPACE");
            }
          }
          yield AlarmResponse.newBuilder().addAllAlarms(alarms(a.getAction() != AlarmRequest.AlarmAction.DEACTIVATE)).build();
        }
        default -> throw new IllegalStateException("not a key-space request: " + req.getType());
      };
    } catch (io.kvorum.storage.EtcdException e) {
      return Errors.of(e);
    }
  }

  private List<AlarmMember> alarms(boolean raisedNow) {
    boolean raised = raisedNow && store.noSpaceAlarm();
    return raised ? List.of(AlarmMember.newBuilder().setMemberID(memberId).setAlarm(AlarmType.NOSPACE).build()) : List.of();
  }

  private Object applyToCluster(InternalRequest req) {
    switch (req.getType()) {
      case MEMBER_ATTRIBUTES -> {
        Member m = parse(req.getPayload(), Member.parser());
        cluster.setAttributes(m.getId(), m.getName(), m.getClientUrlsList(), m.getServerVersion());
        // A restart re-applies this member's earlier publication (maybe of an older version):
        // only the attributes of this run count as published.
        if (m.getId() == memberId && m.getServerVersion().equals(serverVersion.toString()) && m.getName().equals(config.name())) {
          published = true;
          LOG.info(
              "published local member to cluster through raft",
              "local-member-id", hex(memberId),
              "local-member-attributes", "{Name:" + m.getName() + " ClientURLs:" + m.getClientUrlsList() + " ServerVersion:" + m.getServerVersion() + "}",
              "cluster-id", hex(cluster.clusterId()));
        }
      }
      case MEMBER_UPDATE -> {
        Member m = parse(req.getPayload(), Member.parser());
        cluster.setPeerUrls(m.getId(), m.getPeerUrlsList());
        transport.upsertPeer(m.getId(), urls(m.getPeerUrlsList()));
        LOG.info("updated member", "updated-remote-peer-id", hex(m.getId()), "updated-remote-peer-urls", m.getPeerUrlsList());
        return memberList();
      }
      case CLUSTER_VERSION -> {
        String to = parse(req.getPayload(), ClusterVersionSet.parser()).getVersion();
        String from = cluster.clusterVersion();
        if (!to.equals(from)) {
          cluster.setClusterVersion(to);
          if (from.isEmpty()) {
            LOG.info("set initial cluster version", "cluster-id", hex(cluster.clusterId()), "local-member-id", hex(memberId), "cluster-version", majorMinor(to));
          } else {
            LOG.info("updated cluster version", "cluster-id", hex(cluster.clusterId()), "local-member-id", hex(memberId), "from", majorMinor(from), "to", majorMinor(to));
          }
          metrics.setClusterVersion(majorMinor(to));
          DataDirVersion.write(dataDir.memberDir(), to);
          LOG.info("enabled capabilities for version", "cluster-version", majorMinor(to), "capabilities", Capability.enabledNames(to));
        }
      }
      case DOWNGRADE -> {
        String target = parse(req.getPayload(), DowngradeSet.parser()).getTarget();
        String previous = cluster.downgradeTarget();
        cluster.setDowngradeTarget(target);
        if (!target.isEmpty()) {
          LOG.info("downgrade enabled", "cluster-id", hex(cluster.clusterId()), "target-version", majorMinor(target));
        } else if (!previous.isEmpty()) {
          LOG.info("downgrade finished or canceled", "cluster-id", hex(cluster.clusterId()), "target-version", majorMinor(previous), "cluster-version", cluster.clusterVersion());
        }
      }
      default -> {}
    }
    return null;
  }

  private void applyConfChange(Entry e, List<Runnable> answers) {
    ConfChange cc = parse(e.getData(), ConfChange.parser());
    ConfChangeContext ctx = cc.getContext().isEmpty() ? null : parse(cc.getContext(), ConfChangeContext.parser());
    if (cluster.isRemoved(cc.getNodeId())) {
      // A change for a removed id (a stale proposal): Raft must still see it, but it changes nothing.
      LOG.warn("ignored configuration change for a removed member", "member-id", hex(cc.getNodeId()));
    }
    confState = node.applyConfChange(cc);
    long id = cc.getNodeId();
    switch (cc.getType()) {
      case CONF_CHANGE_ADD_NODE, CONF_CHANGE_ADD_LEARNER_NODE -> {
        boolean learner = cc.getType() == ConfChangeType.CONF_CHANGE_ADD_LEARNER_NODE;
        Optional<Member> existing = cluster.member(id);
        if (existing.isPresent() && existing.get().getIsLearner() && !learner) {
          cluster.promote(id);
          LOG.info("promoted learner member", "cluster-id", hex(cluster.clusterId()), "local-member-id", hex(memberId), "promoted-member-id", hex(id));
        } else if (existing.isEmpty() && !cluster.isRemoved(id)) {
          Member m =
              ctx != null && ctx.hasMember()
                  ? ctx.getMember()
                  : initialMembers.member(id).orElse(Member.newBuilder().setId(id).build());
          cluster.add(m.toBuilder().setIsLearner(learner).build());
          transport.upsertPeer(id, urls(m.getPeerUrlsList()));
          LOG.info(
              learner ? "added learner member" : "added member",
              "cluster-id", hex(cluster.clusterId()),
              "local-member-id", hex(memberId),
              "added-peer-id", hex(id),
              "added-peer-peer-urls", m.getPeerUrlsList());
        }
      }
      case CONF_CHANGE_REMOVE_NODE -> {
        cluster.remove(id);
        transport.removePeer(id);
        LOG.info("removed member", "cluster-id", hex(cluster.clusterId()), "local-member-id", hex(memberId), "removed-remote-peer-id", hex(id));
        if (id == memberId) {
          LOG.warn("the local member has been permanently removed from the cluster; stopping", "local-member-id", hex(memberId));
          answers.add(() -> readers.execute(this::close));
        }
      }
      default -> {}
    }
    if (ctx != null && ctx.getOrigin() == memberId) {
      answers.add(() -> answer(ctx.getRequestId(), cluster.members()));
    }
  }

  /** Installs a snapshot from the leader: its database replaces ours, its membership ours. */
  private void applySnapshot(Snapshot snap) {
    long index = snap.getMetadata().getIndex();
    if (index <= appliedIndex) {
      return;
    }
    Path file = receivedSnapshots.remove(index);
    if (file == null) {
      throw new IllegalStateException("snapshot at index " + index + " arrived without its database file");
    }
    long start = System.nanoTime();
    // In place, so watchers and readers keep their store: watchers catch up from the new backend.
    store.restore(old -> {
      old.close();
      FileTrees.deleteRecursively(dataDir.dbDir());
      BackendSnapshot.restore(file, dataDir.dbDir());
      return backend = Backend.open(dataDir.dbDir());
    });
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("cannot delete applied snapshot file", "path", file.toString(), "error", e);
    }
    ClusterState state = parseClusterState(snap.getData());
    List<Long> before = cluster.members().stream().map(Member::getId).toList();
    cluster.restore(state);
    for (long id : before) {
      if (cluster.member(id).isEmpty()) {
        transport.removePeer(id);
      }
    }
    cluster.members().forEach(m -> transport.upsertPeer(m.getId(), urls(m.getPeerUrlsList())));
    auth.recover(store);
    confState = snap.getMetadata().getConfState();
    appliedIndex = index;
    snapshotIndex = index;
    appliedView = index;
    if (!state.getClusterVersion().isEmpty()) {
      metrics.setClusterVersion(majorMinor(state.getClusterVersion()));
    }
    LOG.info(
        "applied snapshot",
        "local-member-id", hex(memberId),
        "snapshot-index", index,
        "backend-revision", store.currentRevision(),
        "took", Duration.ofNanos(System.nanoTime() - start));
  }

  private void maybeSnapshot() {
    if (!snapshotPolicy.isDue(appliedIndex, snapshotIndex, wal.bytesThrough(appliedIndex))) {
      return;
    }
    long start = System.nanoTime();
    // The snapshot marker and the WAL segments it releases stop the WAL from re-applying what
    // they cover after a crash, so that state must first be on disk in the backend itself.
    backend.sync();
    wal.createSnapshot(appliedIndex, confState, cluster.toProto().toByteString());
    snapshotIndex = appliedIndex;
    long compactTo = wal.compactionPoint(appliedIndex, snapshotPolicy.keepEntries(), snapshotPolicy.keepBytes());
    if (compactTo >= wal.firstIndex()) {
      wal.compact(compactTo);
    }
    LOG.info(
        "saved snapshot",
        "local-member-id", hex(memberId),
        "snapshot-index", appliedIndex,
        "compacted-log-index", Math.max(0, compactTo),
        "took", Duration.ofNanos(System.nanoTime() - start));
  }

  /** A consistent copy of the backend for a follower or a client, deleted when closed. */
  private InputStream openDatabaseCopy() {
    try {
      Files.createDirectories(dataDir.snapDir());
      Path tmp = Files.createTempFile(dataDir.snapDir(), "outgoing-", ".db");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        BackendSnapshot.write(backend, dataDir.memberDir().resolve("tmp"), out);
      }
      SnapshotPadding.padTo512(tmp);
      return new FilterInputStream(Files.newInputStream(tmp)) {
        @Override
        public void close() throws IOException {
          super.close();
          Files.deleteIfExists(tmp);
        }
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ proposals and reads

  @SuppressWarnings("unchecked")
  private <T> CompletableFuture<T> propose(RequestType type, MessageLite payload) {
    if (stopping) {
      return CompletableFuture.failedFuture(Errors.stopped());
    }
    long id = nextRequestId.incrementAndGet();
    InternalRequest req =
        InternalRequest.newBuilder().setId(id).setOrigin(memberId).setType(type).setPayload(payload.toByteString()).build();
    AuthHeader caller = Credentials.proposalHeader();
    if (caller != null) {
      req = req.toBuilder().setAuth(caller).build(); // checked against the auth state when applied
    }
    if (req.getSerializedSize() > config.maxRequestBytes() + 1024) {
      return CompletableFuture.failedFuture(Errors.tooLarge());
    }
    CompletableFuture<Object> wait = register(id);
    HeldProposal proposal = new HeldProposal(id, req.toByteString());
    loop.submit(() -> proposeOrHold(proposal, false));
    return (CompletableFuture<T>) wait;
  }

  private record HeldProposal(long id, ByteString data) {}

  /** A follower's proposal, held from the tick it arrived; its originator answers its client. */
  private record HeldForward(Message proposal, long heldAtTick) {}

  /**
   * Loop only. Proposes, or fails the request with why Raft dropped it, except when a leadership
   * transfer dropped it: then it is held and proposed again as soon as another leader is known
   * (and every tick, in case the transfer was aborted) until a leader takes it or its request
   * times out. A dropped proposal was not appended anywhere, so proposing it
   * again cannot apply it twice. A stopping leader transfers leadership first, so without this
   * every request that arrived during a transfer failed ("leadership is being transferred"), one
   * per member replaced in a rolling upgrade. For the same reason a proposal is held when no
   * leader is known but one was within the last election timeout (the moments of a transfer or an
   * election), or when it was held already. Held ones fail with "no leader" once none has been
   * known for two election timeouts ({@link #failHeldProposalsWithoutLeader}); a proposal on a
   * member that has known no leader for longer fails at once, as in etcd.
   */
  private void proposeOrHold(HeldProposal proposal, boolean wasHeld) {
    try {
      node.propose(proposal.data());
    } catch (ProposalDroppedException e) {
      if (worthHolding(e, wasHeld)) {
        proposalsAwaitingLeader.add(proposal);
        leaderWhenHeld = leaderId;
      } else {
        fail(proposal.id(), leaderId == 0 ? Errors.noLeader() : new EtcdException(Status.Code.UNAVAILABLE, "etcdserver: " + e.getMessage()));
      }
    }
  }

  /** Loop only: the rule of {@link #proposeOrHold} for holding a dropped proposal. */
  private boolean worthHolding(ProposalDroppedException e, boolean wasHeld) {
    boolean leaderMoving = e.cause() == ProposalDroppedException.Cause.LEADERSHIP_TRANSFER
        || (e.cause() == ProposalDroppedException.Cause.NO_LEADER
            && (wasHeld || ticks - lastTickWithLeader <= config.electionTicks()));
    return leaderMoving && !stopping;
  }

  /**
   * Loop only: proposes the held proposals again, forgetting our own whose request ended and
   * forwarded ones older than a request timeout (their originator gave up on them).
   */
  private void retryHeldProposals() {
    if (!proposalsAwaitingLeader.isEmpty()) {
      List<HeldProposal> held = proposalsAwaitingLeader;
      proposalsAwaitingLeader = new ArrayList<>();
      for (HeldProposal p : held) {
        if (waits.containsKey(p.id())) {
          proposeOrHold(p, true);
        }
      }
    }
    if (!forwardsAwaitingLeader.isEmpty()) {
      List<HeldForward> held = forwardsAwaitingLeader;
      forwardsAwaitingLeader = new ArrayList<>();
      long timeoutTicks = requestTimeout.toMillis() / config.heartbeatInterval().toMillis();
      for (HeldForward f : held) {
        if (ticks - f.heldAtTick() <= timeoutTicks) {
          // Sent on as our own: a member accepts messages only from the peer they claim to be
          // from, and the entry names its originator, who answers the client when it applies it.
          stepOrHold(f.proposal().toBuilder().setFrom(memberId).build(), f.heldAtTick());
        }
      }
    }
  }

  /** Loop only, every tick: the held proposals give up once no leader has been known for long. */
  private void failHeldProposalsWithoutLeader() {
    if (leaderId != 0) {
      lastTickWithLeader = ticks;
      return;
    }
    if (ticks - lastTickWithLeader > 2L * config.electionTicks()) {
      proposalsAwaitingLeader.forEach(p -> fail(p.id(), Errors.noLeader()));
      proposalsAwaitingLeader = new ArrayList<>();
      forwardsAwaitingLeader = new ArrayList<>();
    }
  }

  /**
   * Loop only: steps a received message. A follower's proposal dropped because leadership is
   * moving is held by the rule of {@link #proposeOrHold}.
   */
  private void stepOrHold(Message message, long heldSinceTick) {
    try {
      node.step(message);
    } catch (ProposalDroppedException e) {
      // RawNode.step throws only for LEADERSHIP_TRANSFER or NO_LEADER. Not "was held": a
      // forward held before keeps only the window it arrived in.
      if (worthHolding(e, false)) {
        forwardsAwaitingLeader.add(new HeldForward(message, heldSinceTick));
        leaderWhenHeld = leaderId;
      }
    } catch (IllegalArgumentException e) {
      LOG.debug("ignored message from peer", "type", message.getType().name(), "error", e);
    }
  }

  @SuppressWarnings("unchecked")
  private CompletableFuture<List<Member>> proposeConfChange(ConfChangeType type, long nodeId, Member member) {
    if (stopping) {
      return CompletableFuture.failedFuture(Errors.stopped());
    }
    long id = nextRequestId.incrementAndGet();
    ConfChangeContext ctx = ConfChangeContext.newBuilder().setRequestId(id).setOrigin(memberId).setMember(member).build();
    ConfChange cc = ConfChange.newBuilder().setType(type).setNodeId(nodeId).setContext(ctx.toByteString()).build();
    CompletableFuture<Object> wait = register(id);
    loop.submit(
        () -> {
          try {
            node.proposeConfChange(cc);
          } catch (ProposalDroppedException e) {
            fail(id, leaderId == 0 ? Errors.noLeader() : new EtcdException(Status.Code.FAILED_PRECONDITION, "etcdserver: " + e.getMessage()));
          }
        });
    return wait.thenApply(o -> (List<Member>) o);
  }

  private CompletableFuture<Object> register(long id) {
    CompletableFuture<Object> wait = new CompletableFuture<>();
    waits.put(id, wait);
    metrics.proposalsPending.inc();
    return deadlines.failAfter(wait, requestDeadline())
        .handle(
            (r, t) -> {
              if (waits.remove(id) != null) {
                metrics.proposalsPending.dec();
              }
              if (t != null) {
                metrics.proposalsFailed.inc();
                throw new java.util.concurrent.CompletionException(Errors.client(t));
              }
              if (r instanceof EtcdException e) {
                throw new java.util.concurrent.CompletionException(e);
              }
              return r;
            });
  }

  private long requestDeadline() {
    return System.nanoTime() + requestTimeout.toNanos();
  }

  private void answer(long id, Object result) {
    CompletableFuture<Object> wait = waits.get(id);
    if (wait != null) {
      wait.complete(result);
    }
  }

  private void fail(long id, Throwable error) {
    CompletableFuture<Object> wait = waits.get(id);
    if (wait != null) {
      wait.completeExceptionally(error);
    }
  }

  /** Completes when a linearizable read may be served here (etcd's ReadIndex path, batched). */
  private CompletableFuture<Void> readPoint() {
    if (stopping) {
      return CompletableFuture.failedFuture(Errors.stopped());
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    loop.submit(() -> readsWaitingForIndex.add(f));
    return deadlines.failAfter(f, requestDeadline())
        .exceptionally(
            t -> {
              throw new java.util.concurrent.CompletionException(Errors.client(t));
            });
  }

  /** Loop only: one ReadIndex request for every read that arrived since the last one. */
  private void requestReadIndex() {
    if (readsWaitingForIndex.isEmpty() || !readsInFlight.isEmpty()) {
      return;
    }
    List<CompletableFuture<Void>> batch = readsWaitingForIndex;
    batch.removeIf(CompletableFuture::isDone);
    if (batch.isEmpty()) {
      return;
    }
    if (leaderId == 0) {
      // Keep them: a leader may be elected before they time out.
      return;
    }
    readsWaitingForIndex = new ArrayList<>();
    long ctx = ++nextReadContext;
    try {
      node.readIndex(ByteBuffer.allocate(8).putLong(ctx).array());
      readsInFlight.put(ctx, new PendingReads(0, ticks, batch));
    } catch (ProposalDroppedException e) {
      readsWaitingForIndex.addAll(batch);
    }
  }

  /** Loop only: a ReadIndex unanswered for an election timeout is retried (the leader may have changed). */
  private void retryStaleReads() {
    readsInFlight
        .entrySet()
        .removeIf(
            e -> {
              if (ticks - e.getValue().requestedAtTick() > config.electionTicks()) {
                readsWaitingForIndex.addAll(e.getValue().reads());
                return true;
              }
              return false;
            });
  }

  private void serveReads() {
    readsWaitingForApply.removeIf(
        p -> {
          if (p.index() <= appliedIndex) {
            p.reads().forEach(f -> f.complete(null));
            return true;
          }
          return false;
        });
  }

  // ------------------------------------------------------------------ background duties

  /** Publishes name, client URLs and server version through Raft until it is applied. */
  private void publishAttributes() {
    if (published || leaderId == 0 || stopping) {
      return;
    }
    Member attrs =
        Member.newBuilder()
            .setId(memberId)
            .setName(config.name())
            .addAllClientUrls(config.advertiseClientUrls().stream().map(URI::toString).toList())
            .setServerVersion(serverVersion.toString())
            .build();
    try {
      this.<Object>propose(RequestType.MEMBER_ATTRIBUTES, attrs).get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("failed to publish local member to cluster through raft", "local-member-id", hex(memberId), "error", Errors.client(e).getMessage());
    }
  }

  private void revokeExpiredLeases() {
    if (!isLeader() || stopping) {
      return;
    }
    long now = System.nanoTime();
    revokesInFlight.values().removeIf(t -> now - t > requestTimeout.toNanos());
    List<Long> expired = new ArrayList<>();
    for (long id : store.lessor().expiredLeases(500)) {
      if (revokesInFlight.putIfAbsent(id, now) == null) {
        expired.add(id);
      }
    }
    if (expired.isEmpty()) {
      return;
    }
    if (Capability.BATCHED_LEASE_REVOKE.enabledAt(cluster.clusterVersion())) {
      this.<Object>propose(RequestType.LEASE_REVOKE_BATCH, LeaseRevokeBatch.newBuilder().addAllIds(expired).build())
          .whenComplete((r, t) -> expired.forEach(revokesInFlight::remove));
      return;
    }
    for (long id : expired) {
      this.<Object>propose(RequestType.LEASE_REVOKE, LeaseRevokeRequest.newBuilder().setID(id).build())
          .whenComplete((r, t) -> revokesInFlight.remove(id));
    }
  }

  private long versionMonitorRuns;

  /** The leader decides the cluster version; every member reports if it is behind. */
  private void monitorVersions() {
    if (stopping) {
      return;
    }
    List<Member> members = cluster.members();
    if (isLeader() && !cluster.downgradeTarget().isEmpty()) {
      driveDowngrade(members);
    } else if (isLeader()) {
      Optional<Version> decided = ClusterVersionDecider.decide(members);
      String current = cluster.clusterVersion();
      if (decided.isPresent()
          && (current.isEmpty() || Version.parse(current).lessThan(decided.get()))
          && peersRunWhatTheyPublished(members)) {
        LOG.info(
            current.isEmpty() ? "setting up initial cluster version" : "updating cluster version",
            "from", current.isEmpty() ? "" : majorMinor(current),
            "to", majorMinor(decided.get().toString()));
        propose(RequestType.CLUSTER_VERSION, ClusterVersionSet.newBuilder().setVersion(decided.get().toString()).build());
      }
    }
    if (versionMonitorRuns++ % 10 == 0) {
      for (Member m : members) {
        if (m.getId() != memberId
            && !m.getServerVersion().isEmpty()
            && serverVersion.lessThan(Version.parse(m.getServerVersion()))) {
          LOG.warn("member has a higher version", "remote-member-id", hex(m.getId()), "remote-member-version", m.getServerVersion());
          LOG.warn("the local server version is not up-to-date", "local-member-version", serverVersion.toString());
        }
      }
    }
  }

  /**
   * The leader's part of a downgrade: lower the cluster version to the target first (members of
   * the target version may then join), and end the downgrade once every voter runs the target.
   */
  private void driveDowngrade(List<Member> members) {
    String target = cluster.downgradeTarget();
    String current = cluster.clusterVersion();
    if (!current.isEmpty() && Version.parse(target).lessThan(Version.parse(current))) {
      LOG.info("lowering cluster version for downgrade", "from", majorMinor(current), "to", majorMinor(target));
      propose(RequestType.CLUSTER_VERSION, ClusterVersionSet.newBuilder().setVersion(target).build());
      return;
    }
    boolean allAtTarget =
        members.stream()
            .filter(m -> !m.getIsLearner())
            .allMatch(m -> !m.getServerVersion().isEmpty() && Version.parse(m.getServerVersion()).majorMinor().equals(Version.parse(target)));
    if (allAtTarget && peersRunWhatTheyPublished(members)) {
      LOG.info("the cluster has been downgraded", "cluster-version", majorMinor(target));
      propose(RequestType.DOWNGRADE, DowngradeSet.getDefaultInstance());
    }
  }

  /**
   * etcd's Maintenance.Downgrade ({@code kvorum downgrade validate|enable|cancel}): the target
   * must be the cluster version minus one minor (cluster 1.1 → target 1.0.x; 0.9 or 1.1 are
   * refused), and no downgrade may be running. ENABLE commits the target through Raft; the
   * leader then lowers the cluster version ({@link #driveDowngrade}).
   */
  @Override
  public CompletableFuture<DowngradeResponse> downgrade(DowngradeRequest request) {
    String current = cluster.clusterVersion();
    Supplier<DowngradeResponse> answer =
        () -> DowngradeResponse.newBuilder().setHeader(header()).setVersion(cluster.clusterVersion()).build();
    if (request.getAction() == DowngradeRequest.DowngradeAction.CANCEL) {
      if (cluster.downgradeTarget().isEmpty()) {
        return CompletableFuture.failedFuture(Errors.noInflightDowngrade());
      }
      return this.<Object>propose(RequestType.DOWNGRADE, DowngradeSet.getDefaultInstance()).thenApply(r -> answer.get());
    }
    if (request.getAction() != DowngradeRequest.DowngradeAction.VALIDATE
        && request.getAction() != DowngradeRequest.DowngradeAction.ENABLE) {
      return CompletableFuture.failedFuture(
          new EtcdException(Status.Code.INVALID_ARGUMENT, "etcdserver: unknown downgrade action " + request.getActionValue() + ": use VALIDATE, ENABLE or CANCEL"));
    }
    Version target;
    try {
      target = Version.parse(request.getVersion()).majorMinor();
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(Errors.invalidDowngradeTarget());
    }
    if (current.isEmpty()) {
      return CompletableFuture.failedFuture(Errors.clusterVersionUnavailable());
    }
    Version cv = Version.parse(current);
    if (target.major() != cv.major() || target.minor() != cv.minor() - 1) {
      return CompletableFuture.failedFuture(Errors.invalidDowngradeTarget());
    }
    if (!cluster.downgradeTarget().isEmpty()) {
      return CompletableFuture.failedFuture(Errors.downgradeInProgress());
    }
    if (request.getAction() == DowngradeRequest.DowngradeAction.VALIDATE) {
      return CompletableFuture.completedFuture(answer.get());
    }
    return this.<Object>propose(RequestType.DOWNGRADE, DowngradeSet.newBuilder().setTarget(target.toString()).build())
        .thenApply(r -> answer.get());
  }

  /**
   * The leader's second look before it raises the cluster version: every other voter answers
   * {@code GetVersion} on its peer port with the version it published. A member that is down or
   * was just replaced by another build blocks the decision until it has published again.
   */
  private boolean peersRunWhatTheyPublished(List<Member> members) {
    for (Member m : members) {
      if (m.getIsLearner() || m.getId() == memberId) {
        continue;
      }
      boolean confirmed = false;
      for (String url : m.getPeerUrlsList()) {
        try {
          confirmed = PeerTransport.fetchVersion(tls.peerChannels(), URI.create(url), Duration.ofSeconds(1)).getServerVersion().equals(m.getServerVersion());
          break;
        } catch (RuntimeException e) {
          // try the next URL
        }
      }
      if (!confirmed) {
        LOG.debug("cluster version decision waits for a member", "member-id", hex(m.getId()));
        return false;
      }
    }
    return true;
  }

  private boolean isLeader() {
    return leaderId == memberId;
  }

  // ------------------------------------------------------------------ EtcdNode: KV

  @Override
  public CompletableFuture<RangeResponse> range(RangeRequest request) {
    CompletableFuture<Void> point = request.getSerializable() ? CompletableFuture.completedFuture(null) : readPoint();
    return point.thenApplyAsync(v -> local(() -> store.range(request)), readers)
        .thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  @Override
  public CompletableFuture<PutResponse> put(PutRequest request) {
    return this.<PutResponse>quotaChecked(request, RequestType.PUT).thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest request) {
    return this.<DeleteRangeResponse>propose(RequestType.DELETE_RANGE, request).thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  @Override
  public CompletableFuture<TxnResponse> txn(TxnRequest request) {
    if (MvccStore.isReadOnly(request)) {
      // As etcd: a txn that only reads is served like a range (ReadIndex unless every range in it
      // is serializable), not proposed: it changes nothing, so the log needs no entry for it.
      CompletableFuture<Void> point = allSerializable(request) ? CompletableFuture.completedFuture(null) : readPoint();
      return point.thenApplyAsync(v -> local(() -> store.readOnlyTxn(request)), readers)
          .thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
    }
    return this.<TxnResponse>quotaChecked(request, RequestType.TXN).thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  /**
   * Whether a read-only txn may be served from local state (etcd's isTxnSerializable): every op is
   * a range that asks for a serializable read. A nested txn, or no op at all (compares only),
   * reads linearizably.
   */
  private static boolean allSerializable(TxnRequest t) {
    if (t.getSuccessCount() + t.getFailureCount() == 0) {
      return false;
    }
    for (List<RequestOp> ops : List.of(t.getSuccessList(), t.getFailureList())) {
      for (RequestOp op : ops) {
        if (!op.hasRequestRange() || !op.getRequestRange().getSerializable()) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public CompletableFuture<CompactionResponse> compact(CompactionRequest request) {
    return this.<CompactionResponse>propose(RequestType.COMPACTION, request).thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  private <T> CompletableFuture<T> quotaChecked(MessageLite request, RequestType type) {
    try {
      store.checkQuota(request);
    } catch (io.kvorum.storage.EtcdException e) {
      if (e.kind() == io.kvorum.storage.EtcdException.Kind.NO_SPACE && !store.noSpaceAlarm()) {
        LOG.warn("database space exceeded; raising NOSPACE alarm", "quota-size-bytes", config.quotaBackendBytes());
        propose(RequestType.ALARM, AlarmRequest.newBuilder().setAction(AlarmRequest.AlarmAction.ACTIVATE).setAlarm(AlarmType.NOSPACE).setMemberID(memberId).build());
      }
      return CompletableFuture.failedFuture(Errors.of(e));
    }
    return propose(type, request);
  }

  // ------------------------------------------------------------------ auth

  /** The auth state this member applies; the client port checks requests against it. */
  public AuthStore authStore() {
    return auth;
  }

  /** Proposes an auth change or read; completes with etcd's response, header set, once applied here. */
  public CompletableFuture<com.google.protobuf.Message> proposeAuth(AuthEntry entry) {
    return this.<com.google.protobuf.Message>propose(RequestType.AUTH, entry).thenApply(r -> AuthStore.withHeader(r, header()));
  }

  // ------------------------------------------------------------------ EtcdNode: watch

  @Override
  public WatchStream openWatchStream(Consumer<WatchResponse> sink) {
    io.kvorum.storage.mvcc.WatchStream ws = store.watchableStore().newWatchStream(1024);
    Thread pump =
        Thread.ofVirtual()
            .name("watch-pump")
            .start(
                () -> {
                  try {
                    while (!Thread.currentThread().isInterrupted()) {
                      WatchResponse r = ws.poll(200, TimeUnit.MILLISECONDS);
                      if (r != null) {
                        sink.accept(r.toBuilder().setHeader(header(r.getHeader())).build());
                      }
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    return new WatchStream() {
      @Override
      public void create(WatchCreateRequest request) {
        ws.watch(request);
      }

      @Override
      public void cancel(long watchId) {
        ws.cancel(watchId);
      }

      @Override
      public void requestProgress() {
        ws.requestProgress();
      }

      @Override
      public void close() {
        pump.interrupt();
        ws.close();
      }
    };
  }

  // ------------------------------------------------------------------ EtcdNode: lease

  @Override
  public CompletableFuture<LeaseGrantResponse> leaseGrant(LeaseGrantRequest request) {
    LeaseGrantRequest withId =
        request.getID() != 0 ? request : request.toBuilder().setID(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE)).build();
    return this.<LeaseGrantResponse>quotaChecked(withId, RequestType.LEASE_GRANT).thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  @Override
  public CompletableFuture<LeaseRevokeResponse> leaseRevoke(LeaseRevokeRequest request) {
    return this.<LeaseRevokeResponse>propose(RequestType.LEASE_REVOKE, request).thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  @Override
  public CompletableFuture<LeaseKeepAliveResponse> leaseKeepAlive(LeaseKeepAliveRequest request) {
    if (isLeader()) {
      return CompletableFuture.supplyAsync(() -> local(() -> store.leaseKeepAlive(request)), readers)
          .thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
    }
    return leaderClientUrl().thenCompose(url -> leaderClient.keepAlive(url, request)).exceptionally(t -> {
      throw new java.util.concurrent.CompletionException(Errors.client(t));
    });
  }

  @Override
  public CompletableFuture<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest request) {
    if (isLeader()) {
      return readPoint()
          .thenApplyAsync(v -> local(() -> store.leaseTimeToLive(request)), readers)
          .thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
    }
    return leaderClientUrl().thenCompose(url -> leaderClient.timeToLive(url, request)).exceptionally(t -> {
      throw new java.util.concurrent.CompletionException(Errors.client(t));
    });
  }

  @Override
  public CompletableFuture<LeaseList> leaseLeases() {
    return readPoint().thenApply(v -> new LeaseList(header(ResponseHeader.newBuilder().setRevision(store.currentRevision()).build()), store.lessor().leases()));
  }

  private CompletableFuture<URI> leaderClientUrl() {
    long lead = leaderId;
    if (lead == 0) {
      return CompletableFuture.failedFuture(Errors.noLeader());
    }
    return cluster.member(lead)
        .filter(m -> m.getClientUrlsCount() > 0)
        .map(m -> CompletableFuture.completedFuture(URI.create(m.getClientUrls(0))))
        .orElseGet(() -> CompletableFuture.failedFuture(Errors.noLeader()));
  }

  // ------------------------------------------------------------------ EtcdNode: cluster

  @Override
  public CompletableFuture<MemberListResponse> memberList(MemberListRequest request) {
    return CompletableFuture.completedFuture(MemberListResponse.newBuilder().setHeader(header()).addAllMembers(memberList()).build());
  }

  private List<io.etcd.jetcd.api.Member> memberList() {
    return cluster.members().stream().map(EtcdServer::toApi).toList();
  }

  private static io.etcd.jetcd.api.Member toApi(Member m) {
    return io.etcd.jetcd.api.Member.newBuilder()
        .setID(m.getId())
        .setName(m.getName())
        .addAllPeerURLs(m.getPeerUrlsList())
        .addAllClientURLs(m.getClientUrlsList())
        .setIsLearner(m.getIsLearner())
        .build();
  }

  @Override
  public CompletableFuture<MemberAddResponse> memberAdd(MemberAddRequest request) {
    List<String> peerUrls;
    try {
      peerUrls = normalizedUrls(request.getPeerURLsList());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new EtcdException(Status.Code.INVALID_ARGUMENT, "etcdserver: " + e.getMessage()));
    }
    if (cluster.peerUrlInUse(peerUrls, 0)) {
      return CompletableFuture.failedFuture(Errors.peerUrlExists());
    }
    if (!request.getIsLearner() && !readyToAddVoter()) {
      return CompletableFuture.failedFuture(Errors.notEnoughStartedMembers());
    }
    long id = MemberIds.memberId(urls(peerUrls), config.initialClusterToken(), System.currentTimeMillis() / 1000);
    Member m = Member.newBuilder().setId(id).addAllPeerUrls(peerUrls).setIsLearner(request.getIsLearner()).build();
    ConfChangeType type = request.getIsLearner() ? ConfChangeType.CONF_CHANGE_ADD_LEARNER_NODE : ConfChangeType.CONF_CHANGE_ADD_NODE;
    return proposeConfChange(type, id, m)
        .thenApply(
            members ->
                MemberAddResponse.newBuilder()
                    .setHeader(header())
                    .setMember(toApi(m))
                    .addAllMembers(members.stream().map(EtcdServer::toApi).toList())
                    .build());
  }

  @Override
  public CompletableFuture<MemberRemoveResponse> memberRemove(MemberRemoveRequest request) {
    Optional<Member> m = cluster.member(request.getID());
    if (m.isEmpty()) {
      return CompletableFuture.failedFuture(Errors.memberNotFound());
    }
    if (!m.get().getIsLearner() && !readyToRemoveVoter(request.getID())) {
      return CompletableFuture.failedFuture(Errors.notEnoughStartedMembers());
    }
    return proposeConfChange(ConfChangeType.CONF_CHANGE_REMOVE_NODE, request.getID(), m.get())
        .thenApply(
            members ->
                MemberRemoveResponse.newBuilder()
                    .setHeader(header())
                    .addAllMembers(members.stream().map(EtcdServer::toApi).toList())
                    .build());
  }

  @Override
  public CompletableFuture<MemberUpdateResponse> memberUpdate(MemberUpdateRequest request) {
    if (cluster.member(request.getID()).isEmpty()) {
      return CompletableFuture.failedFuture(Errors.memberNotFound());
    }
    List<String> peerUrls;
    try {
      peerUrls = normalizedUrls(request.getPeerURLsList());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new EtcdException(Status.Code.INVALID_ARGUMENT, "etcdserver: " + e.getMessage()));
    }
    if (cluster.peerUrlInUse(peerUrls, request.getID())) {
      return CompletableFuture.failedFuture(Errors.peerUrlExists());
    }
    Member update = Member.newBuilder().setId(request.getID()).addAllPeerUrls(peerUrls).build();
    return this.<Object>propose(RequestType.MEMBER_UPDATE, update)
        .thenApply(r -> MemberUpdateResponse.newBuilder().setHeader(header()).addAllMembers(memberList()).build());
  }

  @Override
  public CompletableFuture<MemberPromoteResponse> memberPromote(MemberPromoteRequest request) {
    Optional<Member> m = cluster.member(request.getID());
    if (m.isEmpty()) {
      return CompletableFuture.failedFuture(Errors.memberNotFound());
    }
    if (!m.get().getIsLearner()) {
      return CompletableFuture.failedFuture(Errors.notLearner());
    }
    if (!isLeader()) {
      return leaderClientUrl().thenCompose(url -> leaderClient.promote(url, request)).exceptionally(t -> {
        throw new java.util.concurrent.CompletionException(Errors.client(t));
      });
    }
    return loop.call(
            () -> {
              Map<Long, PeerProgress> progress = node.status().progress();
              PeerProgress learner = progress.get(request.getID());
              PeerProgress self = progress.get(memberId);
              // etcd's rule: the learner's log is within 10% of the leader's.
              return learner != null && self != null && learner.match() >= (long) (self.match() * 0.9);
            })
        .thenCompose(
            inSync -> {
              if (!inSync) {
                return CompletableFuture.failedFuture(Errors.learnerNotReady());
              }
              return proposeConfChange(ConfChangeType.CONF_CHANGE_ADD_NODE, request.getID(), m.get().toBuilder().setIsLearner(false).build());
            })
        .thenApply(
            members ->
                MemberPromoteResponse.newBuilder()
                    .setHeader(header())
                    .addAllMembers(members.stream().map(EtcdServer::toApi).toList())
                    .build());
  }

  /** A voter is started when it published its attributes and we can reach it (or it is us). */
  private boolean started(Member m) {
    return !m.getName().isEmpty() && (m.getId() == memberId || transport.connected(m.getId()));
  }

  /** etcd's IsReadyToAddVotingMember: the started voters stay a quorum of the grown cluster. */
  private boolean readyToAddVoter() {
    List<Member> voters = cluster.voters();
    int members = voters.size() + 1;
    long started = voters.stream().filter(this::started).count();
    if (started == 1 && members == 2) {
      return true;
    }
    return started >= members / 2 + 1;
  }

  /** etcd's IsReadyToRemoveVotingMember: the started remaining voters are still a quorum. */
  private boolean readyToRemoveVoter(long id) {
    List<Member> rest = cluster.voters().stream().filter(m -> m.getId() != id).toList();
    long started = rest.stream().filter(this::started).count();
    return started >= rest.size() / 2 + 1;
  }

  private static List<String> normalizedUrls(List<String> raw) {
    if (raw.isEmpty()) {
      throw new IllegalArgumentException("member peer URLs are empty");
    }
    List<String> out = new ArrayList<>();
    for (String s : raw) {
      URI u = URI.create(s);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null || u.getPort() < 0) {
        throw new IllegalArgumentException("peer URL " + s + " is not http://host:port or https://host:port");
      }
      out.add(u.getScheme() + "://" + u.getHost() + ":" + u.getPort());
    }
    return out;
  }

  // ------------------------------------------------------------------ EtcdNode: maintenance

  @Override
  public CompletableFuture<StatusResponse> status() {
    return loop.call(
        () -> {
          io.kvorum.raft.Status s = node.status();
          StatusResponse.Builder b =
              StatusResponse.newBuilder()
                  .setHeader(header())
                  .setVersion(serverVersion.toString())
                  .setDbSize(store.sizeBytes())
                  .setDbSizeInUse(store.sizeInUseBytes())
                  .setLeader(s.lead())
                  .setRaftIndex(s.commit())
                  .setRaftTerm(s.term())
                  .setRaftAppliedIndex(appliedIndex)
                  .setIsLearner(s.confState().getLearnersList().contains(memberId));
          if (store.noSpaceAlarm()) {
            b.addErrors("memberID:" + memberId + " alarm:NOSPACE ");
          }
          return b.build();
        });
  }

  @Override
  public CompletableFuture<InputStream> snapshot() {
    return CompletableFuture.supplyAsync(this::openDatabaseCopy, readers);
  }

  @Override
  public CompletableFuture<DefragmentResponse> defragment() {
    return CompletableFuture.supplyAsync(
        () -> {
          long start = System.nanoTime();
          long before = store.sizeBytes();
          local(
              () -> {
                store.defragment();
                return null;
              });
          LOG.info("finished defragmenting directory", "current-db-size-bytes", store.sizeBytes(), "previous-db-size-bytes", before, "took", Duration.ofNanos(System.nanoTime() - start));
          return DefragmentResponse.newBuilder().setHeader(header()).build();
        },
        readers);
  }

  @Override
  public CompletableFuture<AlarmResponse> alarm(AlarmRequest request) {
    if (request.getAction() == AlarmRequest.AlarmAction.GET) {
      return CompletableFuture.completedFuture(AlarmResponse.newBuilder().setHeader(header()).addAllAlarms(alarms(true)).build());
    }
    return this.<AlarmResponse>propose(RequestType.ALARM, request).thenApply(r -> r.toBuilder().setHeader(header()).build());
  }

  @Override
  public CompletableFuture<HashResponse> hash() {
    return CompletableFuture.supplyAsync(() -> local(store::hash), readers).thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  @Override
  public CompletableFuture<HashKVResponse> hashKV(HashKVRequest request) {
    return CompletableFuture.supplyAsync(() -> local(() -> store.hashKV(request)), readers)
        .thenApply(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
  }

  @Override
  public CompletableFuture<MoveLeaderResponse> moveLeader(MoveLeaderRequest request) {
    if (!isLeader()) {
      return CompletableFuture.failedFuture(Errors.notLeader());
    }
    long target = request.getTargetID();
    if (cluster.member(target).map(Member::getIsLearner).orElse(true)) {
      return CompletableFuture.failedFuture(Errors.badLeaderTransferee());
    }
    return CompletableFuture.supplyAsync(
        () -> {
          if (!transferLeadership(target, config.electionTimeout().multipliedBy(3))) {
            throw new java.util.concurrent.CompletionException(Errors.leaderTransferTimeout());
          }
          return MoveLeaderResponse.newBuilder().setHeader(header()).build();
        },
        readers);
  }

  /** Asks Raft to hand leadership to {@code target} and waits until it has, or the timeout. */
  private boolean transferLeadership(long target, Duration timeout) {
    long start = System.nanoTime();
    LOG.info("leadership transfer starting", "local-member-id", hex(memberId), "current-leader-member-id", hex(leaderId), "transferee-member-id", hex(target));
    loop.submit(() -> node.transferLeader(target));
    long deadline = start + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (leaderId == target) {
        LOG.info(
            "leadership transfer finished",
            "local-member-id", hex(memberId),
            "old-leader-member-id", hex(memberId),
            "new-leader-member-id", hex(target),
            "took", Duration.ofNanos(System.nanoTime() - start));
        return true;
      }
      sleep(10);
    }
    LOG.warn("leadership transfer failed", "local-member-id", hex(memberId), "transferee-member-id", hex(target));
    return false;
  }

  // ------------------------------------------------------------------ EtcdNode: introspection

  @Override
  public NodeInfo info() {
    String cv = cluster.clusterVersion();
    boolean learner = cluster.member(memberId).map(Member::getIsLearner).orElse(false);
    return new NodeInfo(
        cluster.clusterId(),
        memberId,
        config.name(),
        serverVersion.toString(),
        cv.isEmpty() ? "not_decided" : cv,
        leaderId,
        term,
        commitIndex,
        appliedView,
        learner,
        leaderId != 0 && published && !stopping,
        drainWindow.secondsLeft());
  }

  @Override
  public CompletableFuture<Void> drain(Duration duration) {
    try {
      drainWindow.set(duration);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    LOG.info(duration.isZero() ? "drain ended: the member reports itself ready again" : "drained: the member reports itself not ready",
        "local-member-id", hex(memberId), "seconds", String.valueOf(duration.toSeconds()));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Health> health() {
    if (leaderId == 0) {
      return CompletableFuture.completedFuture(new Health(false, "RAFT NO LEADER"));
    }
    if (store.noSpaceAlarm()) {
      return CompletableFuture.completedFuture(new Health(false, "ALARM NOSPACE"));
    }
    return readPoint()
        .orTimeout(Math.max(1000, config.electionTimeout().toMillis()), TimeUnit.MILLISECONDS)
        .handle((v, t) -> t == null ? Health.ok() : new Health(false, "QGET ERROR: " + Errors.client(t).getMessage()));
  }

  @Override
  public PrometheusRegistry metricsRegistry() {
    return metrics.registry;
  }

  private ResponseHeader header() {
    return header(ResponseHeader.newBuilder().setRevision(store.currentRevision()).build());
  }

  private ResponseHeader header(ResponseHeader fromStore) {
    return fromStore.toBuilder().setClusterId(cluster.clusterId()).setMemberId(memberId).setRaftTerm(term).build();
  }

  private static <T> T local(java.util.function.Supplier<T> read) {
    try {
      return read.get();
    } catch (io.kvorum.storage.EtcdException e) {
      throw new java.util.concurrent.CompletionException(Errors.of(e));
    }
  }

  // ------------------------------------------------------------------ peers

  private Handshake handshake() {
    return Handshake.newBuilder()
        .setClusterId(cluster.clusterId())
        .setFromMemberId(memberId)
        .setServerVersion(serverVersion.toString())
        .setProtocolVersion(ServerVersion.PEER_PROTOCOL)
        .setMinProtocolVersion(ServerVersion.MIN_PEER_PROTOCOL)
        .build();
  }

  @Override
  public String admit(Handshake h) {
    long from = h.getFromMemberId();
    if (cluster.isRemoved(from)) {
      return "member " + hex(from) + " was removed from the cluster; add it again as a new member with an empty data dir";
    }
    // As etcd: only members talk Raft here. Knowing the cluster id (GetVersion tells anyone)
    // must not be enough to step messages, which could raise the term or commit garbage.
    if (cluster.member(from).isEmpty() && initialMembers.member(from).isEmpty()) {
      return "member " + hex(from) + " is not in the member list of cluster " + hex(cluster.clusterId())
          + "; add it with 'etcdctl member add' before starting it";
    }
    return JoinPolicy.refusal(cluster.clusterVersion(), h.getServerVersion());
  }

  @Override
  public void receive(Message message) {
    if (stopping) {
      return;
    }
    loop.submit(() -> stepOrHold(message, ticks));
  }

  @Override
  public Path incomingSnapshotDir() {
    return dataDir.snapDir();
  }

  @Override
  public void receiveSnapshot(Message message, Path databaseFile) {
    receivedSnapshots.put(message.getSnapshot().getMetadata().getIndex(), databaseFile);
    receive(message);
  }

  @Override
  public VersionResponse version() {
    return VersionResponse.newBuilder()
        .setServerVersion(serverVersion.toString())
        .setClusterVersion(cluster.clusterVersion())
        .setMemberId(memberId)
        .setClusterId(cluster.clusterId())
        .setProtocolVersion(ServerVersion.PEER_PROTOCOL)
        .setMinProtocolVersion(ServerVersion.MIN_PEER_PROTOCOL)
        .build();
  }

  @Override
  public MembersResponse members() {
    ClusterState state = cluster.toProto();
    if (state.getMembersCount() == 0) {
      state = state.toBuilder().addAllMembers(initialMembers.members()).build();
    }
    return MembersResponse.newBuilder().setCluster(state).build();
  }

  @Override
  public void unreachable(long id) {
    if (!stopping) {
      loop.submit(() -> node.reportUnreachable(id));
    }
  }

  @Override
  public void refused(long id, String reason) {
    if (!stopping && reason.contains("member " + hex(memberId) + " was removed")) {
      LOG.warn("the local member has been permanently removed from the cluster; stopping", "local-member-id", hex(memberId), "told-by", hex(id));
      readers.execute(this::close);
    }
  }

  @Override
  public void snapshotStatus(long id, boolean delivered) {
    if (!stopping) {
      loop.submit(() -> node.reportSnapshot(id, delivered));
    }
  }

  // ------------------------------------------------------------------ stop

  /**
   * Stops the member. A leader first hands leadership to the most caught-up voter it can reach
   * (seed 003's "leadership transfer starting/finished"), so clients see no election timeout.
   */
  @Override
  public synchronized void close() {
    if (stopping) {
      return;
    }
    LOG.info("closing kvorum server", "name", config.name(), "data-dir", config.dataDir().toString());
    if (isLeader() && cluster.voters().size() > 1) {
      try {
        long target =
            loop.call(
                    () ->
                        node.status().progress().entrySet().stream()
                            .filter(e -> e.getKey() != memberId && !e.getValue().learner() && transport.connected(e.getKey()))
                            .max(Comparator.comparingLong(e -> e.getValue().match()))
                            .map(Map.Entry::getKey)
                            .orElse(0L))
                .get(2, TimeUnit.SECONDS);
        if (target != 0) {
          transferLeadership(target, config.electionTimeout().multipliedBy(2));
        }
      } catch (Exception e) {
        LOG.warn("leadership transfer before stop failed", "error", e);
      }
    }
    stopping = true;
    background.shutdownNow();
    deadlineSweeper.shutdownNow();
    loop.stop(Duration.ofSeconds(5));
    peerServer.close();
    transport.close();
    leaderClient.close();
    waits.values().forEach(w -> w.completeExceptionally(Errors.stopped()));
    readers.shutdownNow();
    store.close();
    backend.close();
    wal.close();
    LOG.info("closed kvorum server", "name", config.name(), "data-dir", config.dataDir().toString());
    terminated.complete(null);
  }

  // ------------------------------------------------------------------ helpers

  /** Why a member must not start; {@code Main} prints it and exits non-zero. */
  public static final class StartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StartException(String message) {
      super(message);
    }
  }

  private RaftLogger raftLogger() {
    Log raftLog = Log.get(RawNode.class);
    return new RaftLogger() {
      @Override
      public boolean isEnabled(Level level) {
        return level != Level.DEBUG || raftLog.enabled(Log.Level.DEBUG);
      }

      @Override
      public void log(Level level, String message) {
        switch (level) {
          case DEBUG -> raftLog.debug(message);
          case INFO -> raftLog.info(message);
          case WARN -> raftLog.warn(message);
        }
      }
    };
  }

  private static ClusterState parseClusterState(ByteString data) {
    return parse(data, ClusterState.parser());
  }

  /**
   * Parses replicated data without copying its bytes fields: they stay views into {@code data}
   * (a {@code ByteString} never changes), so a put's key and value are not copied out of its
   * entry once for the request and again for the put. What keeps a field past the apply (the
   * key index, the lessor) keeps its own copy.
   */
  private static <T> T parse(ByteString data, com.google.protobuf.Parser<T> parser) {
    try {
      CodedInputStream in = data.newCodedInput();
      in.enableAliasing(true);
      return parser.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt replicated data: " + e.getMessage(), e);
    }
  }

  private static List<URI> urls(List<String> raw) {
    return raw.stream().map(URI::create).toList();
  }

  static String hex(long id) {
    return HandshakeCheck.hex(id);
  }

  /** {@code 1.1.0} → {@code 1.1}, as etcd logs cluster versions. */
  private static String majorMinor(String version) {
    Version v = Version.parse(version);
    return v.major() + "." + v.minor();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
