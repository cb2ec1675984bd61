package io.kvorum.server.grpc;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdNode;

/** etcd's {@code KV} service: checks the request as etcd does, then hands it to the member. */
public final class KvService extends KVGrpc.KVImplBase {
  private final EtcdNode node;
  private final RequestChecks checks;

  public KvService(EtcdNode node, RequestChecks checks) {
    this.node = node;
    this.checks = checks;
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> observer) {
    Replies.unary(
        () -> {
          checks.range(request);
          return node.range(request);
        },
        observer);
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> observer) {
    Replies.unary(
        () -> {
          checks.put(request);
          return node.put(request);
        },
        observer);
  }

  @Override
  public void deleteRange(DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> observer) {
    Replies.unary(
        () -> {
          checks.deleteRange(request);
          return node.deleteRange(request);
        },
        observer);
  }

  @Override
  public void txn(TxnRequest request, StreamObserver<TxnResponse> observer) {
    Replies.unary(
        () -> {
          checks.txn(request);
          return node.txn(request);
        },
        observer);
  }

  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> observer) {
    Replies.unary(() -> node.compact(request), observer);
  }
}
