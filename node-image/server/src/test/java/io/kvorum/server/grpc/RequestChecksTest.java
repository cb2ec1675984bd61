package io.kvorum.server.grpc;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.grpc.Status;
import io.kvorum.server.api.EtcdException;
import org.junit.jupiter.api.Test;

class RequestChecksTest {
  final RequestChecks checks = new RequestChecks(1024, 4);

  static RequestOp put(String key) {
    return RequestOp.newBuilder()
        .setRequestPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)))
        .build();
  }

  static TxnRequest txn(int ops) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (int i = 0; i < ops; i++) {
      txn.addSuccess(put("k" + i));
    }
    return txn.build();
  }

  @Test
  void txnOpsCountTheLargestBranch() {
    assertThatCode(() -> checks.txn(txn(4))).doesNotThrowAnyException();
    assertThatThrownBy(() -> checks.txn(txn(5)))
        .isInstanceOfSatisfying(
            EtcdException.class,
            e -> {
              org.assertj.core.api.Assertions.assertThat(e.code())
                  .isEqualTo(Status.Code.INVALID_ARGUMENT);
              org.assertj.core.api.Assertions.assertThat(e.getMessage())
                  .isEqualTo("etcdserver: too many operations in txn request");
            });
  }

  @Test
  void aNestedTxnGetsWhatItsBranchLeftOver() {
    // Outer branch: 2 ops (one of them the nested txn) of 4 allowed; the nested one may have 2.
    TxnRequest fits =
        TxnRequest.newBuilder()
            .addSuccess(put("a"))
            .addSuccess(RequestOp.newBuilder().setRequestTxn(txn(2)))
            .build();
    TxnRequest tooBig =
        TxnRequest.newBuilder()
            .addSuccess(put("a"))
            .addSuccess(RequestOp.newBuilder().setRequestTxn(txn(3)))
            .build();

    assertThatCode(() -> checks.txn(fits)).doesNotThrowAnyException();
    assertThatThrownBy(() -> checks.txn(tooBig))
        .hasMessage("etcdserver: too many operations in txn request");
  }

  static TxnRequest compare(int target, int result) {
    return TxnRequest.newBuilder()
        .addCompare(
            io.etcd.jetcd.api.Compare.newBuilder()
                .setKey(ByteString.copyFromUtf8("k"))
                .setTargetValue(target)
                .setResultValue(result))
        .build();
  }

  @Test
  void compareTargetsAndResultsNoApiDefinesAreRefusedBeforeTheyReachTheLog() {
    assertThatCode(() -> checks.txn(compare(4, 3))).as("LEASE, NOT_EQUAL").doesNotThrowAnyException();
    assertThatThrownBy(() -> checks.txn(compare(-2, 0)))
        .isInstanceOfSatisfying(
            EtcdException.class,
            e -> org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessage(
            "etcdserver: invalid compare target -2: use VERSION (0), CREATE (1), MOD (2), VALUE (3) or LEASE (4)");
    assertThatThrownBy(() -> checks.txn(compare(0, 7)))
        .hasMessage("etcdserver: invalid compare result 7: use EQUAL (0), GREATER (1), LESS (2) or NOT_EQUAL (3)");
    TxnRequest nested =
        TxnRequest.newBuilder().addFailure(RequestOp.newBuilder().setRequestTxn(compare(5, 0))).build();
    assertThatThrownBy(() -> checks.txn(nested)).hasMessageStartingWith("etcdserver: invalid compare target 5");
  }

  @Test
  void putFieldChecksAsEtcd() {
    assertThatThrownBy(() -> checks.put(PutRequest.getDefaultInstance()))
        .hasMessage("etcdserver: key is not provided");
    assertThatThrownBy(
            () ->
                checks.put(
                    PutRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8("k"))
                        .setValue(ByteString.copyFromUtf8("v"))
                        .setIgnoreValue(true)
                        .build()))
        .hasMessage("etcdserver: value is provided");
    assertThatThrownBy(
            () ->
                checks.put(
                    PutRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8("k"))
                        .setLease(5)
                        .setIgnoreLease(true)
                        .build()))
        .hasMessage("etcdserver: lease is provided");
    assertThatThrownBy(
            () ->
                checks.put(
                    PutRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8("k"))
                        .setValue(ByteString.copyFrom(new byte[1024]))
                        .build()))
        .hasMessage("etcdserver: request is too large");
  }

  @Test
  void anUnknownSortOptionIsRefused() {
    RangeRequest bad =
        RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).setSortOrderValue(9).build();
    assertThatThrownBy(() -> checks.range(bad)).hasMessage("etcdserver: invalid sort option");
  }
}
