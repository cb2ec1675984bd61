package io.kvorum.storage.mvcc;

import io.kvorum.storage.backend.Backend;
import java.nio.file.Path;

/** A store over a RocksDB backend in a test directory, reopenable like a restarted member. */
final class StoreFixture implements AutoCloseable {
  private final Path dir;
  private final StoreOptions options;
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

  void restart() {
    close();
    open();
  }

  @Override
  public void close() {
    store.close();
    backend.close();
  }
}
