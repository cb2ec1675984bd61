package io.kvorum.server.grpc;

import com.google.protobuf.MessageLite;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.grpc.Status;
import io.kvorum.server.api.EtcdException;
import java.util.List;

/**
 * The checks etcd's gRPC layer makes before a request reaches the server, with etcd's codes and
 * messages, so a bad request fails the same way against kvorum as against etcd.
 *
 * <p>Worked example for the txn limit ({@code --max-txn-ops}, default 128): a txn with 3
 * compares, 129 success ops and 0 failure ops counts max(3, 129, 0) = 129 operations and fails
 * with {@code INVALID_ARGUMENT "etcdserver: too many operations in txn request"}. Ops of a
 * nested txn count against what the enclosing branch left over, as in etcd.
 */
public final class RequestChecks {
  public static final String EMPTY_KEY = "etcdserver: key is not provided";
  public static final String TOO_MANY_OPS = "etcdserver: too many operations in txn request";
  public static final String REQUEST_TOO_LARGE = "etcdserver: request is too large";
  public static final String INVALID_SORT = "etcdserver: invalid sort option";
  public static final String VALUE_PROVIDED = "etcdserver: value is provided";
  public static final String LEASE_PROVIDED = "etcdserver: lease is provided";
  public static final String INVALID_COMPARE_TARGET = "etcdserver: invalid compare target ";
  public static final String INVALID_COMPARE_RESULT = "etcdserver: invalid compare result ";
  private static final int COMPARE_TARGET_LEASE = 4;

  private final long maxRequestBytes;
  private final int maxTxnOps;

  public RequestChecks(long maxRequestBytes, int maxTxnOps) {
    this.maxRequestBytes = maxRequestBytes;
    this.maxTxnOps = maxTxnOps;
  }

  public void range(RangeRequest r) {
    if (r.getKey().isEmpty()) {
      throw invalid(EMPTY_KEY);
    }
    if (RangeRequest.SortOrder.forNumber(r.getSortOrderValue()) == null
        || RangeRequest.SortTarget.forNumber(r.getSortTargetValue()) == null) {
      throw invalid(INVALID_SORT);
    }
  }

  public void put(PutRequest r) {
    size(r);
    putFields(r);
  }

  public void deleteRange(DeleteRangeRequest r) {
    size(r);
    if (r.getKey().isEmpty()) {
      throw invalid(EMPTY_KEY);
    }
  }

  public void txn(TxnRequest r) {
    size(r);
    txnOps(r, maxTxnOps);
  }

  /** A proposal larger than {@code --max-request-bytes} would bloat the Raft log: refused. */
  public void size(MessageLite request) {
    if (request.getSerializedSize() > maxRequestBytes) {
      throw invalid(REQUEST_TOO_LARGE);
    }
  }

  private void putFields(PutRequest r) {
    if (r.getKey().isEmpty()) {
      throw invalid(EMPTY_KEY);
    }
    if (r.getIgnoreValue() && !r.getValue().isEmpty()) {
      throw invalid(VALUE_PROVIDED);
    }
    if (r.getIgnoreLease() && r.getLease() != 0) {
      throw invalid(LEASE_PROVIDED);
    }
  }

  private void txnOps(TxnRequest r, int allowed) {
    int ops = Math.max(r.getCompareCount(), Math.max(r.getSuccessCount(), r.getFailureCount()));
    if (ops > allowed) {
      throw invalid(TOO_MANY_OPS);
    }
    for (Compare c : r.getCompareList()) {
      if (c.getKey().isEmpty()) {
        throw invalid(EMPTY_KEY);
      }
      compareEnums(c);
    }
    ops(r.getSuccessList(), allowed - ops);
    ops(r.getFailureList(), allowed - ops);
  }

  /**
   * A compare whose target or result no version of the API defines cannot be evaluated; found by
   * the robustness fuzzer: {@code compare { target: -2 key: "k" }} was proposed, and applying it
   * threw in the apply loop and stopped the member (and would again on every replay of the
   * entry). etcd evaluates such a compare to an arbitrary answer instead; refusing it up front
   * is the clear error. LEASE (4) is valid though the bundled protos predate it.
   */
  private static void compareEnums(Compare c) {
    if (c.getTarget() == Compare.CompareTarget.UNRECOGNIZED && c.getTargetValue() != COMPARE_TARGET_LEASE) {
      throw invalid(INVALID_COMPARE_TARGET + c.getTargetValue() + ": use VERSION (0), CREATE (1), MOD (2), VALUE (3) or LEASE (4)");
    }
    if (c.getResult() == Compare.CompareResult.UNRECOGNIZED) {
      throw invalid(INVALID_COMPARE_RESULT + c.getResultValue() + ": use EQUAL (0), GREATER (1), LESS (2) or NOT_EQUAL (3)");
    }
  }

  private void ops(List<RequestOp> ops, int leftForNested) {
    for (RequestOp op : ops) {
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> range(op.getRequestRange());
        case REQUEST_PUT -> putFields(op.getRequestPut());
        case REQUEST_DELETE_RANGE -> {
          if (op.getRequestDeleteRange().getKey().isEmpty()) {
            throw invalid(EMPTY_KEY);
          }
        }
        case REQUEST_TXN -> txnOps(op.getRequestTxn(), leftForNested);
        case REQUEST_NOT_SET -> {}
      }
    }
  }

  private static EtcdException invalid(String message) {
    return new EtcdException(Status.Code.INVALID_ARGUMENT, message);
  }
}
