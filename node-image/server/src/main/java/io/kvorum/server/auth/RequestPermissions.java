package io.kvorum.server.auth;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.kvorum.server.membership.pb.RequestType;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Which permissions a key-space write needs, as etcd's authApplierV3 decides when it applies
 * the entry:
 *
 * <ul>
 *   <li>Put: WRITE on the key; READ on it too with {@code prev_kv}; with a lease, WRITE on every
 *       key already attached to that lease (or the caller could revoke what it cannot write).
 *   <li>DeleteRange: WRITE on the range; READ on it too with {@code prev_kv}.
 *   <li>Txn: READ on every compare's key range, and every op of both branches (whichever runs)
 *       as above, a Range op needing READ, nested txns included.
 *   <li>LeaseRevoke: WRITE on every key attached to the lease.
 * </ul>
 *
 * Compaction, LeaseGrant and Alarm need no key permission (as in etcd). Example: a user with
 * READWRITE on prefix {@code app/} and READ on {@code cfg} may run {@code txn(compare
 * value(cfg)=1, success put app/x, failure get cfg)} but not {@code txn(compare value(cfg)=1,
 * success put cfg)}: both branches are checked, whichever the compare picks.
 */
public final class RequestPermissions {
  private RequestPermissions() {}

  /** Checks one permission and throws etcd's error when it is missing. */
  public interface Checker {
    void read(ByteString key, ByteString rangeEnd);

    void write(ByteString key, ByteString rangeEnd);
  }

  /**
   * Checks everything the entry of {@code type} with {@code payload} needs; throws the first
   * refusal. Other request types pass.
   */
  static void check(RequestType type, ByteString payload, LongFunction<List<ByteString>> leaseKeys, Checker checker) {
    try {
      switch (type) {
        case PUT -> put(PutRequest.parseFrom(payload), leaseKeys, checker);
        case DELETE_RANGE -> deleteRange(DeleteRangeRequest.parseFrom(payload), checker);
        case TXN -> txn(TxnRequest.parseFrom(payload), leaseKeys, checker);
        case LEASE_REVOKE -> leaseKeysWritable(LeaseRevokeRequest.parseFrom(payload).getID(), leaseKeys, checker);
        default -> {}
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt replicated request: " + e.getMessage(), e);
    }
  }

  public static void put(PutRequest r, LongFunction<List<ByteString>> leaseKeys, Checker checker) {
    checker.write(r.getKey(), ByteString.EMPTY);
    if (r.getLease() != 0) {
      leaseKeysWritable(r.getLease(), leaseKeys, checker);
    }
    if (r.getPrevKv()) {
      checker.read(r.getKey(), ByteString.EMPTY);
    }
  }

  public static void deleteRange(DeleteRangeRequest r, Checker checker) {
    checker.write(r.getKey(), r.getRangeEnd());
    if (r.getPrevKv()) {
      checker.read(r.getKey(), r.getRangeEnd());
    }
  }

  public static void txn(TxnRequest r, LongFunction<List<ByteString>> leaseKeys, Checker checker) {
    for (Compare c : r.getCompareList()) {
      checker.read(c.getKey(), c.getRangeEnd());
    }
    ops(r.getSuccessList(), leaseKeys, checker);
    ops(r.getFailureList(), leaseKeys, checker);
  }

  private static void ops(List<RequestOp> ops, LongFunction<List<ByteString>> leaseKeys, Checker checker) {
    for (RequestOp op : ops) {
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> checker.read(op.getRequestRange().getKey(), op.getRequestRange().getRangeEnd());
        case REQUEST_PUT -> put(op.getRequestPut(), leaseKeys, checker);
        case REQUEST_DELETE_RANGE -> deleteRange(op.getRequestDeleteRange(), checker);
        case REQUEST_TXN -> txn(op.getRequestTxn(), leaseKeys, checker);
        case REQUEST_NOT_SET -> {}
      }
    }
  }

  private static void leaseKeysWritable(long lease, LongFunction<List<ByteString>> leaseKeys, Checker checker) {
    for (ByteString key : leaseKeys.apply(lease)) {
      checker.write(key, ByteString.EMPTY);
    }
  }
}
