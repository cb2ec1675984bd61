package io.kvorum.server.etcd;

import io.kvorum.server.auth.Credentials;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.MemberPromoteRequest;
import io.etcd.jetcd.api.MemberPromoteResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.tls.GrpcChannels;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Forwards the requests only the leader can answer (lease keep-alive and time-to-live, learner
 * promotion) to the leader's client URL, as etcd's followers do; an {@code https} URL is dialed
 * with this member's client certificate.
 */
final class LeaderClient implements AutoCloseable {
  private final Map<URI, ManagedChannel> open = new ConcurrentHashMap<>();
  private final Duration timeout;
  private final GrpcChannels channels;

  LeaderClient(Duration timeout, GrpcChannels channels) {
    this.timeout = timeout;
    this.channels = channels;
  }

  private ManagedChannel channel(URI url) {
    return open.computeIfAbsent(url, u -> channels.builder(u).intercept(Credentials.forwardingInterceptor()).build());
  }

  CompletableFuture<LeaseKeepAliveResponse> keepAlive(URI leader, LeaseKeepAliveRequest request) {
    CompletableFuture<LeaseKeepAliveResponse> answer = new CompletableFuture<>();
    StreamObserver<LeaseKeepAliveRequest> out =
        LeaseGrpc.newStub(channel(leader))
            .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .leaseKeepAlive(observer(answer));
    out.onNext(request);
    return answer.whenComplete((r, e) -> out.onCompleted());
  }

  CompletableFuture<LeaseTimeToLiveResponse> timeToLive(URI leader, LeaseTimeToLiveRequest request) {
    CompletableFuture<LeaseTimeToLiveResponse> answer = new CompletableFuture<>();
    LeaseGrpc.newStub(channel(leader))
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .leaseTimeToLive(request, observer(answer));
    return answer;
  }

  CompletableFuture<MemberPromoteResponse> promote(URI leader, MemberPromoteRequest request) {
    CompletableFuture<MemberPromoteResponse> answer = new CompletableFuture<>();
    ClusterGrpc.newStub(channel(leader))
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .memberPromote(request, observer(answer));
    return answer;
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> answer) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        answer.completeExceptionally(new IllegalStateException("leader closed the call without an answer"));
      }
    };
  }

  @Override
  public void close() {
    open.values().forEach(ManagedChannel::shutdownNow);
  }
}
