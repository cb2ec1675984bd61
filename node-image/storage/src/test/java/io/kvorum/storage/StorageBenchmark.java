package io.kvorum.storage;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import io.kvorum.storage.wal.WalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Not a test: measures the storage layer alone and prints a table.
 *
 * <ul>
 *   <li>store put: puts of 256-byte values over 10,000 keys, committed in apply batches of 1,
 *       16 and 128 (how the apply loop batches committed entries);
 *   <li>store range: single-key reads and prefix ranges of 100 keys (one namespace);
 *   <li>WAL: appends of 256-byte entries, one fsync per batch of 1, 16 and 128.
 * </ul>
 * Usage: {@code StorageBenchmark [work-dir]} (default: a temporary directory on /tmp).
 */
public final class StorageBenchmark {
  private static final int VALUE_BYTES = 256;
  private static final int KEYS = 10_000;

  private StorageBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("kvorum-bench");
    System.out.printf("%-34s %12s %12s %12s%n", "operation", "ops/s", "p50 us", "p99 us");
    for (int batch : new int[] {1, 16, 128}) {
      storePuts(work.resolve("puts-" + batch), batch, batch == 1 ? 20_000 : 100_000);
    }
    storeRanges(work.resolve("ranges"));
    for (int batch : new int[] {1, 16, 128}) {
      walAppends(work.resolve("wal-" + batch), batch, batch == 1 ? 2_000 : 40_000);
    }
  }

  private static void storePuts(Path dir, int batch, int total) {
    Random rnd = new Random(1);
    ByteString value = ByteString.copyFrom(new byte[VALUE_BYTES]);
    long[] lat = new long[total / batch];
    try (Backend backend = Backend.open(dir);
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults().withQuotaBackendBytes(-1))) {
      long index = 0;
      long start = System.nanoTime();
      for (int b = 0; b < lat.length; b++) {
        long t0 = System.nanoTime();
        try (ApplyBatch ab = store.beginApply()) {
          for (int i = 0; i < batch; i++) {
            ab.put(PutRequest.newBuilder().setKey(key(rnd.nextInt(KEYS))).setValue(value).build());
          }
          ab.commit(++index);
        }
        lat[b] = System.nanoTime() - t0;
      }
      report("store put, apply batch " + batch, total, System.nanoTime() - start, lat);
    }
  }

  private static void storeRanges(Path dir) {
    Random rnd = new Random(2);
    ByteString value = ByteString.copyFrom(new byte[VALUE_BYTES]);
    try (Backend backend = Backend.open(dir);
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults().withQuotaBackendBytes(-1))) {
      try (ApplyBatch ab = store.beginApply()) {
        for (int i = 0; i < KEYS; i++) {
          ab.put(PutRequest.newBuilder().setKey(key(i)).setValue(value).build());
        }
        ab.commit(1);
      }
      int gets = 200_000;
      long[] lat = new long[gets];
      long start = System.nanoTime();
      for (int i = 0; i < gets; i++) {
        long t0 = System.nanoTime();
        store.range(RangeRequest.newBuilder().setKey(key(rnd.nextInt(KEYS))).build());
        lat[i] = System.nanoTime() - t0;
      }
      report("store range, one key", gets, System.nanoTime() - start, lat);
      int scans = 20_000;
      lat = new long[scans];
      start = System.nanoTime();
      for (int i = 0; i < scans; i++) {
        // one namespace: a prefix holding 100 of the keys, as a Kubernetes list
        String ns = String.format("/registry/pods/ns-%03d/", rnd.nextInt(100));
        long t0 = System.nanoTime();
        RangeRequest r = RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(ns))
            .setRangeEnd(ByteString.copyFromUtf8(ns.substring(0, ns.length() - 1) + "0")).build();
        if (store.range(r).getKvsCount() != KEYS / 100) {
          throw new IllegalStateException("prefix range returned the wrong number of keys");
        }
        lat[i] = System.nanoTime() - t0;
      }
      report("store range, prefix of 100 keys", scans, System.nanoTime() - start, lat);
    }
  }

  private static void walAppends(Path dir, int batch, int total) {
    byte[] data = new byte[VALUE_BYTES];
    long[] lat = new long[total / batch];
    try (WalStorage wal = WalStorage.create(dir.resolve("wal"), dir.resolve("snap"),
        ByteString.EMPTY, 64L * 1024 * 1024)) {
      long index = 0;
      long start = System.nanoTime();
      for (int b = 0; b < lat.length; b++) {
        List<Entry> entries = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
          entries.add(Entry.newBuilder().setTerm(1).setIndex(++index)
              .setData(ByteString.copyFrom(data)).build());
        }
        long t0 = System.nanoTime();
        wal.save(HardState.newBuilder().setTerm(1).setCommit(index).build(), entries, true);
        lat[b] = System.nanoTime() - t0;
      }
      report("wal append+fsync, batch " + batch, total, System.nanoTime() - start, lat);
      System.out.printf("%-34s %12d %12.0f%n", "  fsyncs / mean fsync us",
          wal.fsyncDurations().count(),
          wal.fsyncDurations().sumSeconds() * 1e6 / wal.fsyncDurations().count());
    }
  }

  private static ByteString key(int i) {
    return ByteString.copyFromUtf8(String.format("/registry/pods/ns-%03d/pod-%06d", i % 100, i));
  }

  private static void report(String what, long ops, long nanos, long[] latencies) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    System.out.printf("%-34s %12.0f %12.1f %12.1f%n", what, ops / (nanos / 1e9),
        sorted[sorted.length / 2] / 1e3, sorted[(int) (sorted.length * 0.99)] / 1e3);
  }
}
