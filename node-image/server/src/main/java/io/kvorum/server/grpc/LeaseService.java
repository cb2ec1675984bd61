package io.kvorum.server.grpc;

import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdException;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.grpc.proto.LeaseLeasesRequest;
import io.kvorum.server.grpc.proto.LeaseLeasesResponse;
import io.kvorum.server.grpc.proto.LeaseStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * etcd's {@code Lease} service, including {@code LeaseLeases} which the jetcd stubs lack.
 *
 * <p>A gRPC service name can be bound once, so {@link #definition()} returns one {@code
 * etcdserverpb.Lease} definition holding jetcd's four methods plus {@link #LEASE_LEASES}; bind
 * that (built by {@link ExtraMethods}), not {@link #bindService()}.
 */
public final class LeaseService extends LeaseGrpc.LeaseImplBase {
  /** {@code etcdserverpb.Lease/LeaseLeases}, the RPC behind {@code etcdctl lease list}. */
  public static final MethodDescriptor<LeaseLeasesRequest, LeaseLeasesResponse> LEASE_LEASES =
      MethodDescriptor.<LeaseLeasesRequest, LeaseLeasesResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(
              MethodDescriptor.generateFullMethodName(LeaseGrpc.SERVICE_NAME, "LeaseLeases"))
          .setRequestMarshaller(ProtoUtils.marshaller(LeaseLeasesRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(LeaseLeasesResponse.getDefaultInstance()))
          .build();

  static final String LEASE_NOT_FOUND = "etcdserver: requested lease not found";

  private final EtcdNode node;

  public LeaseService(EtcdNode node) {
    this.node = node;
  }

  /** jetcd's Lease methods plus LeaseLeases, under the one service name etcd uses. */
  public ServerServiceDefinition definition() {
    return ExtraMethods.add(
        bindService(),
        ServerMethodDefinition.create(LEASE_LEASES, ServerCalls.asyncUnaryCall(this::leaseLeases)));
  }

  @Override
  public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> observer) {
    Replies.unary(() -> node.leaseGrant(request), observer);
  }

  @Override
  public void leaseRevoke(
      LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> observer) {
    Replies.unary(() -> node.leaseRevoke(request), observer);
  }

  @Override
  public void leaseTimeToLive(
      LeaseTimeToLiveRequest request, StreamObserver<LeaseTimeToLiveResponse> observer) {
    Replies.unary(() -> node.leaseTimeToLive(request), observer);
  }

  public void leaseLeases(LeaseLeasesRequest request, StreamObserver<LeaseLeasesResponse> observer) {
    Replies.unary(
        () ->
            node.leaseLeases()
                .thenApply(
                    list -> {
                      LeaseLeasesResponse.Builder response =
                          LeaseLeasesResponse.newBuilder().setHeader(list.header());
                      list.ids().forEach(id -> response.addLeases(LeaseStatus.newBuilder().setID(id)));
                      return response.build();
                    }),
        observer);
  }

  /**
   * Keep-alives answered in the order they arrive. As in etcd, renewing a lease that does not
   * exist (any more) is not a stream error: the answer carries TTL 0 and the client concludes
   * the lease expired.
   */
  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(
      StreamObserver<LeaseKeepAliveResponse> responses) {
    Executor context = Replies.streamContext();
    StreamObserver<LeaseKeepAliveRequest> requests = new StreamObserver<>() {
      private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);
      private boolean ended;

      @Override
      public void onNext(LeaseKeepAliveRequest request) {
        context.execute(() -> chain(request));
      }

      private void chain(LeaseKeepAliveRequest request) {
        previous =
            previous
                .thenCompose(ignored -> renew(request))
                .thenAcceptAsync(
                    response -> {
                      if (!ended) {
                        responses.onNext(response);
                      }
                    },
                    context)
                .exceptionallyAsync(
                    failure -> {
                      if (!ended) {
                        ended = true;
                        responses.onError(GrpcErrors.toException(failure));
                      }
                      return null;
                    },
                    context);
      }

      @Override
      public void onError(Throwable clientGone) {
        context.execute(() -> ended = true);
      }

      @Override
      public void onCompleted() {
        context.execute(() -> previous.thenRunAsync(
            () -> {
              if (!ended) {
                ended = true;
                responses.onCompleted();
              }
            },
            context));
      }
    };
    Replies.onCancel(responses, () -> requests.onError(null));
    return requests;
  }

  private CompletableFuture<LeaseKeepAliveResponse> renew(LeaseKeepAliveRequest request) {
    CompletableFuture<LeaseKeepAliveResponse> renewal;
    try {
      renewal = node.leaseKeepAlive(request);
    } catch (RuntimeException e) {
      renewal = CompletableFuture.failedFuture(e);
    }
    return renewal.exceptionallyCompose(
        failure -> {
          // Matched on etcd's message alone: its code is NOT_FOUND in etcd's table.
          if (GrpcErrors.unwrap(failure) instanceof EtcdException e
              && LEASE_NOT_FOUND.equals(e.getMessage())) {
            return CompletableFuture.completedFuture(expired(request.getID()));
          }
          return CompletableFuture.failedFuture(failure);
        });
  }

  private LeaseKeepAliveResponse expired(long leaseId) {
    EtcdNode.NodeInfo info = node.info();
    return LeaseKeepAliveResponse.newBuilder()
        .setHeader(
            ResponseHeader.newBuilder()
                .setClusterId(info.clusterId())
                .setMemberId(info.memberId())
                .setRaftTerm(info.raftTerm()))
        .setID(leaseId)
        .setTTL(0)
        .build();
  }
}
