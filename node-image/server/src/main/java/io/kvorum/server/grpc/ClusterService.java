package io.kvorum.server.grpc;

import io.etcd.jetcd.api.ClusterGrpc;
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
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdNode;

/** etcd's {@code Cluster} service; the member makes the safety checks (quorum, caught-up learner). */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final EtcdNode node;

  public ClusterService(EtcdNode node) {
    this.node = node;
  }

  @Override
  public void memberAdd(MemberAddRequest request, StreamObserver<MemberAddResponse> observer) {
    Replies.unary(() -> node.memberAdd(request), observer);
  }

  @Override
  public void memberRemove(
      MemberRemoveRequest request, StreamObserver<MemberRemoveResponse> observer) {
    Replies.unary(() -> node.memberRemove(request), observer);
  }

  @Override
  public void memberUpdate(
      MemberUpdateRequest request, StreamObserver<MemberUpdateResponse> observer) {
    Replies.unary(() -> node.memberUpdate(request), observer);
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
    Replies.unary(() -> node.memberList(request), observer);
  }

  @Override
  public void memberPromote(
      MemberPromoteRequest request, StreamObserver<MemberPromoteResponse> observer) {
    Replies.unary(() -> node.memberPromote(request), observer);
  }
}
