package io.kvorum.storage.mvcc;

import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.List;

/**
 * etcd's quota accounting: how many bytes a request may add to the backend. Example: a put of a
 * 3-byte key and a 100-byte value costs its KeyValue's size (107) plus 256 of overhead; a txn
 * costs its more expensive branch; deletes, ranges and compactions cost nothing.
 */
final class QuotaCost {
  static final int KV_OVERHEAD = 256;
  static final int LEASE_OVERHEAD = 64;

  private QuotaCost() {}

  /** etcd's quota cost: bytes a request may add; 0 for requests that add nothing. */
  static long of(Object request) {
    return switch (request) {
      case PutRequest p -> KeyValue.newBuilder().setKey(p.getKey()).setValue(p.getValue())
          .setLease(p.getLease()).build().getSerializedSize() + KV_OVERHEAD;
      case TxnRequest t -> Math.max(opsCost(t.getSuccessList()), opsCost(t.getFailureList()));
      case LeaseGrantRequest g -> LEASE_OVERHEAD;
      default -> 0;
    };
  }

  private static long opsCost(List<RequestOp> ops) {
    long cost = 0;
    for (RequestOp op : ops) {
      if (op.hasRequestPut()) {
        cost += of(op.getRequestPut());
      } else if (op.hasRequestTxn()) {
        cost += of(op.getRequestTxn());
      }
    }
    return cost;
  }

}
