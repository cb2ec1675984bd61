package io.kvorum.server.api;

import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
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
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * What the client port (gRPC services, JSON gateway, HTTP endpoints) needs from a member.
 *
 * <p>This is the seam between {@code io.kvorum.server.grpc}/{@code .http} (the client port) and
 * {@code io.kvorum.server.etcd} (the member: Raft loop, apply, storage). Requests and responses
 * are etcd's own protobuf messages, so the client port translates nothing but transport.
 *
 * <p>Rules every implementation keeps:
 *
 * <ul>
 *   <li>Every response carries a full {@link ResponseHeader}: cluster_id, member_id, revision,
 *       raft_term.
 *   <li>Writes complete after the entry is committed through Raft and applied on this member.
 *   <li>Reads are linearizable (ReadIndex) unless the request says {@code serializable}.
 *   <li>Failures complete the future exceptionally with an {@link EtcdException} carrying etcd's
 *       gRPC status code and message, so clients' retry logic works unchanged.
 * </ul>
 */
public interface EtcdNode {

  // --- KV
  CompletableFuture<RangeResponse> range(RangeRequest request);

  CompletableFuture<PutResponse> put(PutRequest request);

  CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest request);

  CompletableFuture<TxnResponse> txn(TxnRequest request);

  CompletableFuture<CompactionResponse> compact(CompactionRequest request);

  // --- Watch
  /**
   * Opens one gRPC watch stream's worth of watchers. Responses (created, events, progress,
   * canceled, compacted) are pushed to {@code sink} in order, from any thread, one at a time.
   */
  WatchStream openWatchStream(Consumer<WatchResponse> sink);

  // --- Lease
  CompletableFuture<LeaseGrantResponse> leaseGrant(LeaseGrantRequest request);

  CompletableFuture<LeaseRevokeResponse> leaseRevoke(LeaseRevokeRequest request);

  /** Renews a lease; only the leader renews, a follower forwards to it. */
  CompletableFuture<LeaseKeepAliveResponse> leaseKeepAlive(LeaseKeepAliveRequest request);

  CompletableFuture<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest request);

  /** All lease ids granted and not expired, with the header, for LeaseLeases. */
  CompletableFuture<LeaseList> leaseLeases();

  // --- Cluster
  CompletableFuture<MemberListResponse> memberList(MemberListRequest request);

  CompletableFuture<MemberAddResponse> memberAdd(MemberAddRequest request);

  CompletableFuture<MemberRemoveResponse> memberRemove(MemberRemoveRequest request);

  CompletableFuture<MemberUpdateResponse> memberUpdate(MemberUpdateRequest request);

  CompletableFuture<MemberPromoteResponse> memberPromote(MemberPromoteRequest request);

  // --- Maintenance
  CompletableFuture<StatusResponse> status();

  /**
   * A consistent point-in-time snapshot of the backend, streamed as etcd does: the database
   * bytes followed by a 32-byte SHA-256 of them. The caller closes the stream.
   */
  CompletableFuture<InputStream> snapshot();

  CompletableFuture<DefragmentResponse> defragment();

  CompletableFuture<AlarmResponse> alarm(AlarmRequest request);

  CompletableFuture<HashResponse> hash();

  CompletableFuture<HashKVResponse> hashKV(HashKVRequest request);

  CompletableFuture<MoveLeaderResponse> moveLeader(MoveLeaderRequest request);

  /**
   * etcd 3.5's Maintenance.Downgrade: VALIDATE checks that {@code request.version} is exactly
   * one minor below the cluster version and no downgrade runs; ENABLE also starts it (the
   * leader then lowers the cluster version); CANCEL stops a running one. The response carries
   * the cluster version. Failures are etcd's, e.g. FAILED_PRECONDITION {@code "etcdserver:
   * invalid downgrade target version"}. A node without versioning answers UNIMPLEMENTED.
   */
  default CompletableFuture<DowngradeResponse> downgrade(DowngradeRequest request) {
    return CompletableFuture.failedFuture(
        new EtcdException(Status.Code.UNIMPLEMENTED, "downgrade is not supported by this member"));
  }

  /**
   * Kvorum's {@code Serving/Drain}: for {@code duration} the member reports itself not ready
   * ({@link NodeInfo#drainedSeconds()}), so Kubernetes stops sending it new clients before the
   * operator removes it from the cluster; it keeps serving what arrives. Zero ends a drain, a
   * new call replaces the old one. A node that cannot drain answers UNIMPLEMENTED.
   */
  default CompletableFuture<Void> drain(java.time.Duration duration) {
    return CompletableFuture.failedFuture(
        new EtcdException(Status.Code.UNIMPLEMENTED, "drain is not supported by this member"));
  }

  // --- Auth
  /** etcd's Auth service; a member that does not check requests answers UNIMPLEMENTED. */
  default EtcdAuth auth() {
    return EtcdAuth.UNIMPLEMENTED;
  }

  // --- Introspection for /version, /health, /readyz, /livez, /metrics
  NodeInfo info();

  /**
   * Health as etcd's {@code /health} judges it: a leader is known, no alarm is raised, and a
   * linearizable read succeeds within the timeout. Completes with the reason when unhealthy.
   */
  CompletableFuture<Health> health();

  /** Where the member's metrics live; the client port exposes it at {@code /metrics}. */
  PrometheusRegistry metricsRegistry();

  /** The ids of leases still alive, for LeaseLeases. */
  record LeaseList(ResponseHeader header, List<Long> ids) {}

  /** The answer of {@link #health()}: healthy, or not and why. */
  record Health(boolean healthy, String reason) {
    public static Health ok() {
      return new Health(true, "");
    }
  }

  /**
   * A snapshot of what the member knows about itself, cheap to read.
   *
   * @param ready published and following a leader, not stopping
   * @param drainedSeconds how much longer a {@link #drain drain} keeps it out of service, 0 when
   *     it is not drained
   */
  record NodeInfo(
      long clusterId,
      long memberId,
      String name,
      String serverVersion,
      String clusterVersion,
      long leaderId,
      long raftTerm,
      long commitIndex,
      long appliedIndex,
      boolean learner,
      boolean ready,
      long drainedSeconds) {
    public boolean hasLeader() {
      return leaderId != 0;
    }

    public boolean isLeader() {
      return leaderId != 0 && leaderId == memberId;
    }
  }

  /** The watchers of one gRPC watch stream. */
  interface WatchStream extends AutoCloseable {
    /** Creates a watcher from a WatchCreateRequest; the answer arrives on the sink. */
    void create(io.etcd.jetcd.api.WatchCreateRequest request);

    void cancel(long watchId);

    /** Asks for a progress notification on every watcher of the stream (WatchProgressRequest). */
    void requestProgress();

    @Override
    void close();
  }
}
