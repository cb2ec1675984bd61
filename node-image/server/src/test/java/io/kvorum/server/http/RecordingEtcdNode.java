package io.kvorum.server.http;

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
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A test double of the member, only for testing the client port's translation: it records
 * every call (method name and request) and answers with what the test scripted for that
 * method. An unscripted call fails, so a test never passes on an answer it did not choose.
 * It stores nothing and replicates nothing; the real member is tested by the ITs.
 */
final class RecordingEtcdNode implements EtcdNode {
  static final ResponseHeader HEADER =
      ResponseHeader.newBuilder()
          .setClusterId(0x7dee9ba76d59ed53L)
          .setMemberId(0x7339c4e5e833c029L)
          .setRevision(42)
          .setRaftTerm(3)
          .build();

  /** One call the port made: the EtcdNode method and its argument (null when it has none). */
  record Call(String method, Object request) {}

  final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, Function<Object, CompletableFuture<?>>> scripts =
      new ConcurrentHashMap<>();
  final List<Object> watchRequests = new CopyOnWriteArrayList<>();
  volatile Consumer<WatchResponse> watchSink;
  volatile boolean watchClosed;
  volatile NodeInfo info =
      new NodeInfo(HEADER.getClusterId(), HEADER.getMemberId(), "s1", "1.2.3", null,
          HEADER.getMemberId(), 3, 10, 10, false, true, 0);
  volatile Health health = Health.ok();
  final PrometheusRegistry registry = new PrometheusRegistry();

  RecordingEtcdNode() {
    Gauge.builder()
        .name("etcd_server_is_leader")
        .help("Whether or not this member is a leader. 1 if is, 0 otherwise.")
        .register(registry)
        .set(1);
  }

  /** Scripts the answer of {@code method}; the function sees the request. */
  @SuppressWarnings("unchecked")
  <Q> void answer(String method, Function<Q, ?> answer) {
    scripts.put(method, request -> CompletableFuture.completedFuture(answer.apply((Q) request)));
  }

  /** Scripts an answer that completes when {@code answer}'s future does. */
  @SuppressWarnings("unchecked")
  <Q> void answerAsync(String method, Function<Q, CompletableFuture<?>> answer) {
    scripts.put(method, request -> answer.apply((Q) request));
  }

  void fail(String method, Throwable failure) {
    scripts.put(method, request -> CompletableFuture.failedFuture(failure));
  }

  void reset() {
    calls.clear();
    scripts.clear();
    watchRequests.clear();
    watchSink = null;
    watchClosed = false;
  }

  List<Object> requestsOf(String method) {
    return calls.stream().filter(c -> c.method().equals(method)).map(Call::request).toList();
  }

  @SuppressWarnings("unchecked")
  private <T> CompletableFuture<T> call(String method, Object request) {
    calls.add(new Call(method, request));
    Function<Object, CompletableFuture<?>> script = scripts.get(method);
    if (script == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("RecordingEtcdNode: no answer scripted for " + method));
    }
    return (CompletableFuture<T>) script.apply(request);
  }

  @Override
  public CompletableFuture<RangeResponse> range(RangeRequest r) {
    return call("range", r);
  }

  @Override
  public CompletableFuture<PutResponse> put(PutRequest r) {
    return call("put", r);
  }

  @Override
  public CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest r) {
    return call("deleteRange", r);
  }

  @Override
  public CompletableFuture<TxnResponse> txn(TxnRequest r) {
    return call("txn", r);
  }

  @Override
  public CompletableFuture<CompactionResponse> compact(CompactionRequest r) {
    return call("compact", r);
  }

  @Override
  public WatchStream openWatchStream(Consumer<WatchResponse> sink) {
    calls.add(new Call("openWatchStream", null));
    watchSink = sink;
    return new WatchStream() {
      @Override
      public void create(WatchCreateRequest request) {
        watchRequests.add(request);
      }

      @Override
      public void cancel(long watchId) {
        watchRequests.add("cancel " + watchId);
      }

      @Override
      public void requestProgress() {
        watchRequests.add("progress");
      }

      @Override
      public void close() {
        watchClosed = true;
      }
    };
  }

  @Override
  public CompletableFuture<LeaseGrantResponse> leaseGrant(LeaseGrantRequest r) {
    return call("leaseGrant", r);
  }

  @Override
  public CompletableFuture<LeaseRevokeResponse> leaseRevoke(LeaseRevokeRequest r) {
    return call("leaseRevoke", r);
  }

  @Override
  public CompletableFuture<LeaseKeepAliveResponse> leaseKeepAlive(LeaseKeepAliveRequest r) {
    return call("leaseKeepAlive", r);
  }

  @Override
  public CompletableFuture<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest r) {
    return call("leaseTimeToLive", r);
  }

  @Override
  public CompletableFuture<LeaseList> leaseLeases() {
    return call("leaseLeases", null);
  }

  @Override
  public CompletableFuture<MemberListResponse> memberList(MemberListRequest r) {
    return call("memberList", r);
  }

  @Override
  public CompletableFuture<MemberAddResponse> memberAdd(MemberAddRequest r) {
    return call("memberAdd", r);
  }

  @Override
  public CompletableFuture<MemberRemoveResponse> memberRemove(MemberRemoveRequest r) {
    return call("memberRemove", r);
  }

  @Override
  public CompletableFuture<MemberUpdateResponse> memberUpdate(MemberUpdateRequest r) {
    return call("memberUpdate", r);
  }

  @Override
  public CompletableFuture<MemberPromoteResponse> memberPromote(MemberPromoteRequest r) {
    return call("memberPromote", r);
  }

  @Override
  public CompletableFuture<StatusResponse> status() {
    return call("status", null);
  }

  @Override
  public CompletableFuture<InputStream> snapshot() {
    return call("snapshot", null);
  }

  @Override
  public CompletableFuture<DefragmentResponse> defragment() {
    return call("defragment", null);
  }

  @Override
  public CompletableFuture<AlarmResponse> alarm(AlarmRequest r) {
    return call("alarm", r);
  }

  @Override
  public CompletableFuture<HashResponse> hash() {
    return call("hash", null);
  }

  @Override
  public CompletableFuture<HashKVResponse> hashKV(HashKVRequest r) {
    return call("hashKV", r);
  }

  @Override
  public CompletableFuture<MoveLeaderResponse> moveLeader(MoveLeaderRequest r) {
    return call("moveLeader", r);
  }

  @Override
  public CompletableFuture<DowngradeResponse> downgrade(DowngradeRequest r) {
    return call("downgrade", r);
  }

  @Override
  public CompletableFuture<Void> drain(java.time.Duration duration) {
    return call("drain", duration);
  }

  @Override
  public NodeInfo info() {
    return info;
  }

  @Override
  public CompletableFuture<Health> health() {
    return CompletableFuture.completedFuture(health);
  }

  @Override
  public PrometheusRegistry metricsRegistry() {
    return registry;
  }
}
