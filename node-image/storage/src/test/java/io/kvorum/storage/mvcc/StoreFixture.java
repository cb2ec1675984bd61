package io.kvorum.storage.mvcc;

import io.kvorum.storage.backend.Backend;
import java.nio.file.Path;

/** A store over a RocksDB backend in a test directory, reopenable like a restarted member. */
final class StoreFixture implements AutoCloseable {
  private final Path dir;
  private StoreOptions options;
  Backend backend;
  MvccStore store;
  private long nextIndex;

  StoreFixture(Path dir, StoreOptions options) {
    this.dir = dir;
    this.options = options;
    open();
  }

  StoreFixture(Path dir) {
    this(dir, StoreOptions.defaults());
  }

  private void open() {
    backend = Backend.open(dir);
    store = MvccStore.open(backend, options);
    nextIndex = store.consistentIndex() + 1;
  }

  /** Runs {@code op} in its own apply batch, committed at the next Raft index. */
  <T> T apply(java.util.function.Function<ApplyBatch, T> op) {
    try (ApplyBatch b = store.beginApply()) {
      try {
        return op.apply(b);
      } finally {
        b.commit(nextIndex++);
      }
    }
  }

  /** Waits until background compaction has deleted everything compacted so far. */
  void awaitCompaction() {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!store.compactionFinished()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("background compaction did not finish within 30 s");
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** Records in the backend's key bucket. */
  int backendRecords() {
    int[] n = {0};
    backend.scan(io.kvorum.storage.backend.Bucket.KEY, null, null, (k, v) -> {
      n[0]++;
      return true;
    });
    return n[0];
  }

  /** Installs a leader's snapshot file in place, as a follower far behind does. */
  void installSnapshot(Path snapshot, Path dbDir) {
    store.restore(old -> {
      old.close();
      io.kvorum.storage.snap.BackendSnapshot.restore(snapshot, dbDir);
      return backend = Backend.open(dbDir);
    });
    nextIndex = store.consistentIndex() + 1;
  }

  void restart() {
    close();
    open();
  }

  /** Restarts with other options, like a member restarted with other flags. */
  void restart(StoreOptions newOptions) {
    close();
    options = newOptions;
    open();
  }

  @Override
  public void close() {
    store.close();
    backend.close();
  }
}
