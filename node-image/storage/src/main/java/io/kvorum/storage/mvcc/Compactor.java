package io.kvorum.storage.mvcc;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Deletes compacted revisions from the backend in the background, in chunks, as etcd's
 * {@code scheduleCompaction}: a compaction request only updates the in-memory index and records
 * the compact revision (so it is cheap inside the apply loop); this removes the backend records
 * the index no longer has, at most {@code batchLimit} records per chunk, each chunk one short
 * critical section, with a pause between chunks so the apply loop and readers are not starved.
 *
 * <p>Jobs run one at a time in request order. A job interrupted by a crash or close is resumed
 * on the next start (the store finds the scheduled revision above the finished one).
 */
final class Compactor implements AutoCloseable {
  private final MvccStore store;
  private final int batchLimit;
  private final long sleepMillis;
  private final ExecutorService executor;
  private volatile boolean closed;

  Compactor(MvccStore store, int batchLimit, long sleepMillis) {
    this.store = store;
    this.batchLimit = batchLimit;
    this.sleepMillis = sleepMillis;
    this.executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "kvorum-compactor");
      t.setDaemon(true);
      return t;
    });
  }

  void schedule(long rev) {
    executor.execute(() -> run(rev));
  }

  private void run(long rev) {
    byte[] cursor = null;
    try {
      while (!closed) {
        cursor = store.compactChunk(rev, cursor, batchLimit);
        if (cursor == null) {
          return;
        }
        Thread.sleep(sleepMillis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing: the next start resumes the job
    } catch (RuntimeException e) {
      // The store is unusable or closing (it reports why to its callers); resumed on restart.
    }
  }

  @Override
  public void close() {
    closed = true;
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("compactor did not stop within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
