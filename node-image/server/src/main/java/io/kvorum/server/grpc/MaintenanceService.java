package io.kvorum.server.grpc;

import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.DefragmentRequest;
import io.etcd.jetcd.api.DefragmentResponse;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.HashRequest;
import io.etcd.jetcd.api.HashResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.MoveLeaderResponse;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.SnapshotResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import java.util.concurrent.Executor;

/**
 * etcd's {@code Maintenance} service, including {@code Downgrade} which the jetcd stubs lack;
 * {@code Snapshot} is streamed by {@link SnapshotSender}. Bind {@link #definition()}, not
 * {@link #bindService()}.
 */
public final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  /** {@code etcdserverpb.Maintenance/Downgrade}, the RPC behind {@code etcdctl downgrade}. */
  public static final MethodDescriptor<DowngradeRequest, DowngradeResponse> DOWNGRADE =
      MethodDescriptor.<DowngradeRequest, DowngradeResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(
              MethodDescriptor.generateFullMethodName(MaintenanceGrpc.SERVICE_NAME, "Downgrade"))
          .setRequestMarshaller(ProtoUtils.marshaller(DowngradeRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(DowngradeResponse.getDefaultInstance()))
          .build();

  private final EtcdNode node;

  public MaintenanceService(EtcdNode node) {
    this.node = node;
  }

  /** jetcd's Maintenance methods plus Downgrade, under the one service name etcd uses. */
  public ServerServiceDefinition definition() {
    return ExtraMethods.add(
        bindService(),
        ServerMethodDefinition.create(DOWNGRADE, ServerCalls.asyncUnaryCall(this::downgrade)));
  }

  @Override
  public void alarm(AlarmRequest request, StreamObserver<AlarmResponse> observer) {
    Replies.unary(() -> node.alarm(request), observer);
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
    Replies.unary(node::status, observer);
  }

  @Override
  public void defragment(DefragmentRequest request, StreamObserver<DefragmentResponse> observer) {
    Replies.unary(node::defragment, observer);
  }

  @Override
  public void hash(HashRequest request, StreamObserver<HashResponse> observer) {
    Replies.unary(node::hash, observer);
  }

  @Override
  public void hashKV(HashKVRequest request, StreamObserver<HashKVResponse> observer) {
    Replies.unary(() -> node.hashKV(request), observer);
  }

  @Override
  public void moveLeader(MoveLeaderRequest request, StreamObserver<MoveLeaderResponse> observer) {
    Replies.unary(() -> node.moveLeader(request), observer);
  }

  @Override
  public void snapshot(SnapshotRequest request, StreamObserver<SnapshotResponse> observer) {
    Executor context = Replies.callerContext();
    SnapshotSender.start(node, observer, context);
  }

  public void downgrade(DowngradeRequest request, StreamObserver<DowngradeResponse> observer) {
    Replies.unary(() -> node.downgrade(request), observer);
  }
}
