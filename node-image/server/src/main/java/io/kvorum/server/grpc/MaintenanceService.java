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
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdNode;
import java.util.concurrent.Executor;

/** etcd's {@code Maintenance} service; {@code Snapshot} is streamed by {@link SnapshotSender}. */
public final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  private final EtcdNode node;

  public MaintenanceService(EtcdNode node) {
    this.node = node;
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
}
