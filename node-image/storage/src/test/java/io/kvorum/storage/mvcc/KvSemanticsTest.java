package io.kvorum.storage.mvcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.kvorum.storage.EtcdException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** etcd behaviours the random model test does not reach: leases in txns, errors, hashes. */
class KvSemanticsTest {
  @TempDir
  Path dir;

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static RequestOp putOp(String k, String v) {
    return RequestOp.newBuilder().setRequestPut(
        PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v))).build();
  }

  @Test
  void txnTakesOneRevisionWithIncreasingSubRevisions() {
    try (StoreFixture f = new StoreFixture(dir)) {
      TxnResponse r = f.apply(b -> b.txn(TxnRequest.newBuilder()
          .addSuccess(putOp("a", "1")).addSuccess(putOp("b", "2")).addSuccess(putOp("c", "3"))
          .build()));
      assertThat(r.getHeader().getRevision()).isEqualTo(2);
      assertThat(f.store.currentRevision()).isEqualTo(2);
      assertThat(f.store.range(RangeRequest.newBuilder().setKey(bs("a")).setRangeEnd(bs("d")).build())
          .getKvsList()).extracting(KeyValue::getModRevision).containsOnly(2L);
    }
  }

  @Test
  void leaseCompareUsesTheNewerProtoField() {
    try (StoreFixture f = new StoreFixture(dir)) {
      f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setID(42).setTTL(60).build()));
      f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v")).setLease(42).build()));
      Compare leaseIs42 = Compare.newBuilder().setKey(bs("k")).setTargetValue(4)
          .setResult(Compare.CompareResult.EQUAL)
          .setUnknownFields(UnknownFieldSet.newBuilder().addField(8,
              UnknownFieldSet.Field.newBuilder().addVarint(42).build()).build())
          .build();
      Compare wire = f.apply(b -> {
        try {
          return Compare.parseFrom(leaseIs42.toByteArray());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      });
      assertThat(f.apply(b -> b.txn(TxnRequest.newBuilder().addCompare(wire).build())).getSucceeded())
          .isTrue();
    }
  }

  @Test
  void errorsAreEtcdsWithGrpcCodes() {
    try (StoreFixture f = new StoreFixture(dir)) {
      assertThatThrownBy(() -> f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs("nope"))
          .setIgnoreValue(true).build())))
          .isInstanceOf(EtcdException.class).hasMessage("etcdserver: key not found");
      assertThatThrownBy(() -> f.apply(b -> b.txn(TxnRequest.newBuilder()
          .addSuccess(putOp("a", "1")).addSuccess(putOp("a", "2")).build())))
          .hasMessage("etcdserver: duplicate key given in txn request");
      assertThatThrownBy(() -> f.store.range(RangeRequest.newBuilder().setKey(bs("a")).setRevision(99).build()))
          .hasMessage("etcdserver: mvcc: required revision is a future revision")
          .satisfies(e -> assertThat(((EtcdException) e).grpcCode()).isEqualTo("OUT_OF_RANGE"));
      assertThatThrownBy(() -> f.apply(b -> b.put(PutRequest.newBuilder().build())))
          .hasMessage("etcdserver: key is not provided");
      assertThat(f.store.currentRevision()).as("failed requests change nothing").isEqualTo(1);
    }
  }

  @Test
  void hashKvIsEqualForEqualHistories() {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    int[] hashes = new int[2];
    int i = 0;
    for (Path p : new Path[] {a, b}) {
      try (StoreFixture f = new StoreFixture(p)) {
        for (int n = 0; n < 30; n++) {
          int k = n;
          f.apply(x -> x.put(PutRequest.newBuilder().setKey(bs("k" + k % 4)).setValue(bs("v" + k)).build()));
        }
        hashes[i++] = f.store.hashKV(HashKVRequest.newBuilder().setRevision(20).build()).getHash();
        assertThat(f.store.hash().getHash()).isNotZero();
      }
    }
    assertThat(hashes[0]).isEqualTo(hashes[1]);
  }

  @Test
  void backgroundCompactionDeletesInChunksAndResumesAfterRestart() {
    StoreOptions slow = StoreOptions.defaults().withCompaction(5, 60_000);
    try (StoreFixture f = new StoreFixture(dir, slow)) {
      for (int i = 0; i < 100; i++) {
        int n = i;
        f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs("k" + n % 10)).setValue(bs("v" + n)).build()));
      }
      f.apply(b -> b.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("k9")).build()));
      assertThat(f.backendRecords()).isEqualTo(101);
      int hashBefore = f.store.hashKV(HashKVRequest.newBuilder().setRevision(90).build()).getHash();
      f.apply(b -> b.compact(CompactionRequest.newBuilder().setRevision(95).build()));
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (f.backendRecords() > 96 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(f.backendRecords()).as("one chunk of 5 records looked at, then a long pause")
          .isBetween(90, 96);
      assertThat(f.store.compactionFinished()).isFalse();
      int hashMidway = f.store.hashKV(HashKVRequest.newBuilder().setRevision(95).build()).getHash();

      f.restart(StoreOptions.defaults()); // interrupted: resumes on start
      assertThat(f.store.compactRevision()).isEqualTo(95);
      f.awaitCompaction();
      // put i is revision i + 2 of key k(i % 10). k0..k3 were last written at 92..95: one
      // record each. k4..k9 were last written at 96..101, above 95, so their writes at 86..91
      // stay as well: two each. Plus the deletion of k9 at 102.
      assertThat(f.backendRecords()).isEqualTo(4 + 6 * 2 + 1);
      assertThat(f.store.hashKV(HashKVRequest.newBuilder().setRevision(95).build()).getHash())
          .as("hashes do not depend on how far compaction got").isEqualTo(hashMidway);
      assertThat(hashBefore).isNotEqualTo(hashMidway);
      assertThat(f.store.range(RangeRequest.newBuilder().setKey(bs("k")).setRangeEnd(bs("l"))
          .build()).getKvsCount()).isEqualTo(9);
    }
  }

  @Test
  void confStateIsStoredWithTheConsistentIndex() {
    io.kvorum.raft.pb.ConfState cs = io.kvorum.raft.pb.ConfState.newBuilder()
        .addVoters(1).addVoters(2).addLearners(3).build();
    try (StoreFixture f = new StoreFixture(dir)) {
      assertThat(f.store.confState()).isNull();
      f.apply(b -> {
        b.setConfState(cs);
        return null;
      });
      f.restart();
      assertThat(f.store.confState()).isEqualTo(cs);
    }
  }

  @Test
  void aBatchAbandonedWithChangesMakesTheStoreRefuseUseUntilRestart() {
    try (StoreFixture f = new StoreFixture(dir)) {
      try (ApplyBatch b = f.store.beginApply()) {
        b.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v")).build());
        // the apply loop fails here and never commits
      }
      assertThatThrownBy(() -> f.store.range(RangeRequest.newBuilder().setKey(bs("k")).build()))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("restart the member");
      assertThatThrownBy(f.store::beginApply).isInstanceOf(IllegalStateException.class);
      f.restart();
      assertThat(f.store.range(RangeRequest.newBuilder().setKey(bs("k")).build()).getCount())
          .as("the uncommitted put is gone; the WAL would replay it").isZero();
    }
  }

  @Test
  void applyingTheSameIndexTwiceIsRefused() {
    try (StoreFixture f = new StoreFixture(dir)) {
      try (ApplyBatch b = f.store.beginApply()) {
        b.commit(5);
      }
      ApplyBatch again = f.store.beginApply();
      assertThatThrownBy(() -> again.commit(5)).hasMessageContaining("already applied");
    }
  }
}
