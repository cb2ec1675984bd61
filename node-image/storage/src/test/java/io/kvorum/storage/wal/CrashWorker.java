package io.kvorum.storage.wal;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.storage.DataDir;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The child process of {@link CrashIT}: a member's storage loop without Raft. It recovers,
 * re-applies the WAL above the backend's consistent index, checks that every key's version
 * equals the number of entries that put it (an entry applied twice or skipped breaks that),
 * then prints {@code save <index>}, appends and fsyncs, prints {@code ack <index>}, applies, and snapshots now and then,
 * until it is killed. Entry {@code i} puts key {@code k<i % KEYS>} = {@code v<i>}.
 */
public final class CrashWorker {
  static final int KEYS = 10;
  static final long SEGMENT_BYTES = 16 * 1024;

  private CrashWorker() {}

  public static void main(String[] args) throws Exception {
    DataDir d = new DataDir(Path.of(args[0]));
    long stopAt = Long.parseLong(args[1]);
    Random rnd = new Random(Long.parseLong(args[2]));
    d.checkStartable();
    WalStorage log = d.hasWal()
        ? WalStorage.open(d.walDir(), d.snapDir(), SEGMENT_BYTES)
        : WalStorage.create(d.walDir(), d.snapDir(), ByteString.copyFromUtf8("crash-test"), SEGMENT_BYTES);
    try (Backend backend = Backend.open(d.dbDir());
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults())) {
      long last = log.lastIndex();
      if (store.consistentIndex() < last) {
        apply(store, log.entries(store.consistentIndex() + 1, last + 1, Long.MAX_VALUE), last);
      }
      String problem = check(store, last);
      if (problem != null) {
        System.out.println("FAIL " + problem);
        System.exit(3);
      }
      System.out.println("recovered " + last + " tail " + log.repairedTailBytes());
      System.out.flush();
      while (last < stopAt) {
        int n = 1 + rnd.nextInt(20);
        List<Entry> batch = new ArrayList<>();
        for (long i = last + 1; i <= last + n; i++) {
          PutRequest p = PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k" + i % KEYS))
              .setValue(ByteString.copyFromUtf8("v" + i)).build();
          batch.add(Entry.newBuilder().setTerm(1).setIndex(i).setData(p.toByteString()).build());
        }
        last += n;
        System.out.println("save " + last);
        log.save(HardState.newBuilder().setTerm(1).setCommit(last).build(), batch, true);
        System.out.println("ack " + last);
        System.out.flush();
        apply(store, batch, last);
        if (rnd.nextInt(40) == 0 && last > 100) {
          backend.sync();
          log.createSnapshot(last, ConfState.newBuilder().addVoters(1).build(), ByteString.EMPTY);
          log.compact(last - 50);
        }
      }
      System.out.println("done " + last);
    } finally {
      log.close();
    }
  }

  private static void apply(MvccStore store, List<Entry> entries, long last) throws Exception {
    try (ApplyBatch b = store.beginApply()) {
      for (Entry e : entries) {
        b.put(PutRequest.parseFrom(e.getData()));
      }
      b.commit(last);
    }
  }

  /** Every key's version and value as if entries 1..last were applied exactly once. */
  static String check(MvccStore store, long last) {
    for (int k = 0; k < KEYS; k++) {
      long puts = last >= k ? (last - k) / KEYS + (k == 0 ? 0 : 1) : 0;
      RangeResponse r = store.range(RangeRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8("k" + k)).build());
      long version = r.getKvsCount() == 0 ? 0 : r.getKvs(0).getVersion();
      if (version != puts) {
        return "key k" + k + " has version " + version + " after " + last
            + " entries, expected " + puts;
      }
      if (puts > 0) {
        long lastPut = k == 0 ? last - last % KEYS : last - ((last - k) % KEYS);
        String value = r.getKvs(0).getValue().toStringUtf8();
        if (!value.equals("v" + lastPut)) {
          return "key k" + k + " = " + value + ", expected v" + lastPut;
        }
      }
    }
    return null;
  }
}
