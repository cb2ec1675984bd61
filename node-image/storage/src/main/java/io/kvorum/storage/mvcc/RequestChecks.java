package io.kvorum.storage.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.kvorum.storage.EtcdException.Kind;
import io.kvorum.storage.EtcdException;
import io.kvorum.storage.KeyOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * etcd's static checks of requests (v3rpc {@code checkPutRequest}, {@code checkTxnRequest} ...):
 * keys present, no value or lease given with ignore_value / ignore_lease; for txns
 * ({@code checkIntervals}) too many operations, and a key written twice in one branch. Within one branch a key may be put
 * once and must not also fall in a deleted range; nested txns count toward their parent, but the
 * success and failure branches of a nested txn may put the same key (only one of them runs).
 *
 * <p>Example: {@code success = [put a, delete [a, c)]} is "duplicate key given in txn request";
 * {@code success = [put a], failure = [put a]} is fine.
 */
final class RequestChecks {
  private static final Comparator<ByteString> ORDER = KeyOrder.UNSIGNED;

  private RequestChecks() {}

  static void checkTxn(TxnRequest txn, int maxOps) {
    checkSizes(txn, maxOps);
    intervals(txn.getSuccessList());
    intervals(txn.getFailureList());
  }

  private static void checkSizes(TxnRequest txn, int maxOps) {
    if (txn.getCompareCount() > maxOps || txn.getSuccessCount() > maxOps
        || txn.getFailureCount() > maxOps) {
      throw new EtcdException(Kind.TOO_MANY_OPS);
    }
    for (RequestOp op : txn.getSuccessList()) {
      checkOp(op, maxOps);
    }
    for (RequestOp op : txn.getFailureList()) {
      checkOp(op, maxOps);
    }
  }

  private static void checkOp(RequestOp op, int maxOps) {
    switch (op.getRequestCase()) {
      case REQUEST_RANGE -> requireKey(op.getRequestRange().getKey());
      case REQUEST_PUT -> checkPut(op.getRequestPut());
      case REQUEST_DELETE_RANGE -> requireKey(op.getRequestDeleteRange().getKey());
      case REQUEST_TXN -> checkSizes(op.getRequestTxn(), maxOps);
      case REQUEST_NOT_SET -> { }
    }
  }

  static void checkPut(PutRequest p) {
    requireKey(p.getKey());
    if (p.getIgnoreValue() && !p.getValue().isEmpty()) {
      throw new EtcdException(Kind.VALUE_PROVIDED);
    }
    if (p.getIgnoreLease() && p.getLease() != 0) {
      throw new EtcdException(Kind.LEASE_PROVIDED);
    }
  }

  static void requireKey(ByteString key) {
    if (key.isEmpty()) {
      throw new EtcdException(Kind.EMPTY_KEY);
    }
  }

  /** A deleted range: {@code end == null} is one key, an empty end is "to infinity". */
  private record Interval(ByteString start, ByteString end) {
    boolean contains(ByteString k) {
      if (end == null) {
        return start.equals(k);
      }
      return ORDER.compare(start, k) <= 0 && (end.isEmpty() || ORDER.compare(k, end) < 0);
    }
  }

  private record Writes(Set<ByteString> puts, List<Interval> dels) {}

  private static Writes intervals(List<RequestOp> ops) {
    List<Interval> dels = new ArrayList<>();
    for (RequestOp op : ops) {
      if (op.hasRequestDeleteRange()) {
        DeleteRangeRequest d = op.getRequestDeleteRange();
        dels.add(new Interval(d.getKey(), TreeIndex.rangeEnd(d.getRangeEnd())));
      }
    }
    Set<ByteString> puts = new HashSet<>();
    for (RequestOp op : ops) {
      if (!op.hasRequestTxn()) {
        continue;
      }
      Writes then = intervals(op.getRequestTxn().getSuccessList());
      Writes otherwise = intervals(op.getRequestTxn().getFailureList());
      for (ByteString k : then.puts) {
        if (puts.contains(k) || deleted(dels, k)) {
          throw new EtcdException(Kind.DUPLICATE_KEY);
        }
        puts.add(k);
      }
      for (ByteString k : otherwise.puts) {
        if ((puts.contains(k) && !then.puts.contains(k)) || deleted(dels, k)) {
          throw new EtcdException(Kind.DUPLICATE_KEY);
        }
        puts.add(k);
      }
      dels.addAll(then.dels);
      dels.addAll(otherwise.dels);
    }
    for (RequestOp op : ops) {
      if (op.hasRequestPut()) {
        ByteString k = op.getRequestPut().getKey();
        if (puts.contains(k) || deleted(dels, k)) {
          throw new EtcdException(Kind.DUPLICATE_KEY);
        }
        puts.add(k);
      }
    }
    return new Writes(puts, dels);
  }

  private static boolean deleted(List<Interval> dels, ByteString k) {
    for (Interval i : dels) {
      if (i.contains(k)) {
        return true;
      }
    }
    return false;
  }
}
