package io.kvorum.storage.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.kvorum.storage.EtcdException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers on other threads while the apply loop writes in multi-request batches and compacts:
 * every read sees a whole txn or none of it (the txn writes the same value to two keys), and
 * the revisions readers see never go backwards.
 */
class ConcurrentReadTest {
  @TempDir
  Path dir;

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void readersSeeWholeTxnsAndMonotonicRevisions() throws Exception {
    try (StoreFixture f = new StoreFixture(dir)) {
      AtomicBoolean stop = new AtomicBoolean();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      List<Thread> readers = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        readers.add(Thread.ofPlatform().start(() -> {
          long lastRev = 0;
          while (!stop.get()) {
            try {
              RangeResponse r = f.store.range(RangeRequest.newBuilder().setKey(bs("pair/"))
                  .setRangeEnd(bs("pair0")).build());
              long rev = r.getHeader().getRevision();
              if (rev < lastRev) {
                problems.add("revision went back from " + lastRev + " to " + rev);
              }
              lastRev = rev;
              if (r.getKvsCount() == 2) {
                KeyValue a = r.getKvs(0);
                KeyValue b = r.getKvs(1);
                if (!a.getValue().equals(b.getValue()) || a.getModRevision() != b.getModRevision()) {
                  problems.add("half a txn: " + a + " / " + b);
                }
              }
            } catch (EtcdException e) {
              problems.add(e.getMessage());
            }
          }
        }));
      }
      for (int batch = 0; batch < 300; batch++) {
        int base = batch * 3;
        f.apply(b -> {
          for (int i = base; i < base + 3; i++) {
            ByteString v = bs("v" + i);
            b.txn(TxnRequest.newBuilder()
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("pair/a")).setValue(v)))
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("pair/b")).setValue(v)))
                .build());
          }
          if (base % 60 == 0 && base > 0) {
            b.compact(CompactionRequest.newBuilder().setRevision(f.store.currentRevision() - 5).build());
          }
          return null;
        });
      }
      stop.set(true);
      for (Thread t : readers) {
        t.join();
      }
      assertThat(problems).isEmpty();
      assertThat(f.store.currentRevision()).isEqualTo(901);
    }
  }
}
