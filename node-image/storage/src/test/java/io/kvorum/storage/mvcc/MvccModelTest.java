package io.kvorum.storage.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.kvorum.storage.EtcdException;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random put / delete / txn / compact / range sequences against the store and against
 * {@link EtcdModel}: every response (revisions, kvs, count, more, prev kvs) and every error must
 * be identical. Several requests share an apply batch, and the store restarts now and then, so
 * reads through the uncommitted batch and the rebuild from the backend are checked too. A
 * failing seed reproduces exactly.
 */
class MvccModelTest {
  private static final String[] KEYS = {"a", "a1", "a2", "b", "b/x", "b/y", "c", "d", "e\u00ff"};

  @TempDir
  Path dir;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void storeAgreesWithModel(long seed) {
    Random rnd = new Random(seed);
    EtcdModel model = new EtcdModel();
    try (StoreFixture f = new StoreFixture(dir)) {
      long index = 0;
      ApplyBatch[] open = {f.store.beginApply()};
      for (int step = 0; step < 700; step++) {
        ApplyBatch batch = open[0];
        String what = "seed " + seed + " step " + step;
        switch (rnd.nextInt(10)) {
          case 0, 1, 2 -> {
            PutRequest p = put(rnd);
            same(what + " " + p, () -> model.put(p), () -> batch.put(p));
          }
          case 3 -> {
            DeleteRangeRequest d = DeleteRangeRequest.newBuilder().setKey(key(rnd))
                .setRangeEnd(end(rnd)).setPrevKv(rnd.nextBoolean()).build();
            same(what + " " + d, () -> model.delete(d), () -> batch.deleteRange(d));
          }
          case 4, 5 -> {
            TxnRequest t = txn(rnd, 2);
            same(what + " " + t, () -> model.txn(t), () -> batch.txn(t));
          }
          case 6 -> {
            long at = Math.max(1, model.revision() - rnd.nextInt(12));
            if (rnd.nextInt(4) == 0) {
              same(what + " compact " + at, () -> {
                model.compact(at);
                return null;
              }, () -> {
                batch.compact(CompactionRequest.newBuilder().setRevision(at).build());
                return null;
              });
            }
          }
          case 7 -> {
            // A read-only txn is served outside Raft: it must answer what applying it would.
            TxnRequest t = readOnlyTxn(rnd, 2);
            assertThat(MvccStore.isReadOnly(t)).as(what).isTrue();
            same(what + " read-only " + t, () -> model.txn(t), () -> f.store.readOnlyTxn(t));
          }
          default -> {
            RangeRequest r = range(rnd, model.revision());
            same(what + " " + r, () -> model.range(r), () -> f.store.range(r));
          }
        }
        if (rnd.nextInt(5) == 0) {
          batch.commit(++index);
          if (rnd.nextInt(25) == 0) {
            f.restart();
            assertThat(f.store.consistentIndex()).isEqualTo(index);
          }
          open[0] = f.store.beginApply();
        }
        assertThat(f.store.currentRevision()).as(what).isEqualTo(model.revision());
      }
      open[0].commit(++index);
      f.restart();
      assertThat(f.store.currentRevision()).isEqualTo(model.revision());
      assertThat(f.store.compactRevision()).isEqualTo(model.compactRevision());
      RangeRequest all = RangeRequest.newBuilder().setKey(bs("\0")).setRangeEnd(bs("\0")).build();
      assertThat(f.store.range(all)).isEqualTo(model.range(all));
    }
  }

  @Test
  void aTxnThatMayWriteOnEitherBranchIsNotReadOnly() {
    RequestOp get = RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(bs("a"))).build();
    RequestOp put = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("a"))).build();
    TxnRequest nestedPut = TxnRequest.newBuilder().addSuccess(get)
        .addFailure(RequestOp.newBuilder().setRequestTxn(TxnRequest.newBuilder().addFailure(put))).build();
    assertThat(MvccStore.isReadOnly(TxnRequest.newBuilder().addSuccess(get).addFailure(get).build())).isTrue();
    assertThat(MvccStore.isReadOnly(TxnRequest.getDefaultInstance())).isTrue();
    assertThat(MvccStore.isReadOnly(TxnRequest.newBuilder().addSuccess(get).addFailure(put).build())).isFalse();
    assertThat(MvccStore.isReadOnly(nestedPut)).isFalse();
  }

  /** Both sides return equal responses, or both fail with the same etcd error. */
  private static <T> void same(String what, Supplier<T> model, Supplier<T> store) {
    Object expected;
    try {
      expected = model.get();
    } catch (EtcdException e) {
      expected = e.kind();
    }
    Object actual;
    try {
      actual = store.get();
    } catch (EtcdException e) {
      actual = e.kind();
    }
    assertThat(actual).as(what).isEqualTo(expected);
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static ByteString key(Random rnd) {
    return bs(KEYS[rnd.nextInt(KEYS.length)]);
  }

  private static ByteString end(Random rnd) {
    return switch (rnd.nextInt(4)) {
      case 0, 1 -> ByteString.EMPTY;
      case 2 -> bs("\0");
      default -> key(rnd);
    };
  }

  private static PutRequest put(Random rnd) {
    PutRequest.Builder p = PutRequest.newBuilder().setKey(key(rnd)).setPrevKv(rnd.nextBoolean());
    if (rnd.nextInt(8) == 0) {
      p.setIgnoreValue(true);
    } else {
      p.setValue(bs("v" + rnd.nextInt(5)));
    }
    if (rnd.nextInt(8) == 0) {
      p.setIgnoreLease(true);
    }
    return p.build();
  }

  private static RangeRequest range(Random rnd, long rev) {
    RangeRequest.Builder r = RangeRequest.newBuilder().setKey(key(rnd)).setRangeEnd(end(rnd));
    if (rnd.nextInt(3) == 0) {
      r.setLimit(rnd.nextInt(4));
    }
    if (rnd.nextInt(3) == 0) {
      r.setRevision(Math.max(0, rev - rnd.nextInt(15) + 2));
    }
    if (rnd.nextInt(4) == 0) {
      r.setSortOrderValue(rnd.nextInt(3)).setSortTargetValue(rnd.nextInt(5));
    }
    r.setCountOnly(rnd.nextInt(8) == 0).setKeysOnly(rnd.nextInt(6) == 0);
    if (rnd.nextInt(6) == 0) {
      r.setMinModRevision(Math.max(0, rev - rnd.nextInt(10)));
    }
    if (rnd.nextInt(6) == 0) {
      r.setMaxModRevision(Math.max(0, rev - rnd.nextInt(10)));
    }
    if (rnd.nextInt(6) == 0) {
      r.setMinCreateRevision(Math.max(0, rev - rnd.nextInt(20)));
    }
    if (rnd.nextInt(6) == 0) {
      r.setMaxCreateRevision(Math.max(0, rev - rnd.nextInt(20)));
    }
    return r.build();
  }

  private static TxnRequest txn(Random rnd, int depth) {
    TxnRequest.Builder t = TxnRequest.newBuilder();
    for (int i = rnd.nextInt(3); i > 0; i--) {
      Compare.Builder c = Compare.newBuilder().setKey(key(rnd))
          .setResultValue(rnd.nextInt(4));
      if (rnd.nextInt(4) == 0) {
        c.setRangeEnd(end(rnd));
      }
      switch (rnd.nextInt(4)) {
        case 0 -> c.setTarget(Compare.CompareTarget.VERSION).setVersion(rnd.nextInt(4));
        case 1 -> c.setTarget(Compare.CompareTarget.CREATE).setCreateRevision(rnd.nextInt(30));
        case 2 -> c.setTarget(Compare.CompareTarget.MOD).setModRevision(rnd.nextInt(30));
        default -> c.setTarget(Compare.CompareTarget.VALUE).setValue(bs("v" + rnd.nextInt(5)));
      }
      t.addCompare(c);
    }
    for (int i = rnd.nextInt(4); i > 0; i--) {
      t.addSuccess(op(rnd, depth));
    }
    for (int i = rnd.nextInt(3); i > 0; i--) {
      t.addFailure(op(rnd, depth));
    }
    return t.build();
  }

  /** A random txn with the compares of {@link #txn} and only ranges and read-only txns. */
  private static TxnRequest readOnlyTxn(Random rnd, int depth) {
    TxnRequest.Builder t = txn(rnd, 0).toBuilder().clearSuccess().clearFailure();
    for (int i = rnd.nextInt(4); i > 0; i--) {
      t.addSuccess(readOp(rnd, depth));
    }
    for (int i = rnd.nextInt(3); i > 0; i--) {
      t.addFailure(readOp(rnd, depth));
    }
    return t.build();
  }

  private static RequestOp readOp(Random rnd, int depth) {
    return depth > 0 && rnd.nextInt(4) == 0
        ? RequestOp.newBuilder().setRequestTxn(readOnlyTxn(rnd, depth - 1)).build()
        : RequestOp.newBuilder().setRequestRange(range(rnd, 0)).build();
  }

  private static RequestOp op(Random rnd, int depth) {
    return switch (rnd.nextInt(depth > 0 ? 5 : 4)) {
      case 0, 1 -> RequestOp.newBuilder().setRequestPut(put(rnd)).build();
      case 2 -> RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder()
          .setKey(key(rnd)).setRangeEnd(rnd.nextInt(3) == 0 ? end(rnd) : ByteString.EMPTY)
          .setPrevKv(rnd.nextBoolean())).build();
      case 3 -> RequestOp.newBuilder().setRequestRange(range(rnd, 0)).build();
      default -> RequestOp.newBuilder().setRequestTxn(txn(rnd, depth - 1)).build();
    };
  }
}
