package io.kvorum.storage.mvcc;

import java.util.function.LongSupplier;

/**
 * Tunables of an {@link MvccStore}, with etcd's defaults.
 *
 * @param quotaBackendBytes etcd's {@code --quota-backend-bytes}: 0 means the default (2 GiB), a
 *     negative value disables the quota
 * @param maxTxnOps etcd's {@code --max-txn-ops} (128)
 * @param minLeaseTtlSeconds shorter lease TTLs are raised to this
 * @param nanoTime monotonic clock for lease deadlines
 * @param watchSyncIntervalMillis how often unsynced watchers catch up from the backend (etcd: 100)
 * @param progressNotifyIntervalMillis how often watchers with {@code progress_notify} get an empty
 *     response carrying the current revision (etcd: 10 minutes)
 * @param compactionBatchLimit backend records a background compaction chunk deletes at most
 *     (etcd's --experimental-compaction-batch-limit: 1000)
 * @param compactionSleepIntervalMillis pause between compaction chunks (etcd: 10 ms)
 */
public record StoreOptions(
    long quotaBackendBytes,
    int maxTxnOps,
    long minLeaseTtlSeconds,
    LongSupplier nanoTime,
    long watchSyncIntervalMillis,
    long progressNotifyIntervalMillis,
    int compactionBatchLimit,
    long compactionSleepIntervalMillis) {

  public static final long DEFAULT_QUOTA_BYTES = 2L * 1024 * 1024 * 1024;

  public static StoreOptions defaults() {
    return new StoreOptions(0, 128, 2, System::nanoTime, 100, 600_000, 1000, 10);
  }

  public StoreOptions withQuotaBackendBytes(long bytes) {
    return new StoreOptions(bytes, maxTxnOps, minLeaseTtlSeconds, nanoTime,
        watchSyncIntervalMillis, progressNotifyIntervalMillis, compactionBatchLimit,
        compactionSleepIntervalMillis);
  }

  public StoreOptions withNanoTime(LongSupplier clock) {
    return new StoreOptions(quotaBackendBytes, maxTxnOps, minLeaseTtlSeconds, clock,
        watchSyncIntervalMillis, progressNotifyIntervalMillis, compactionBatchLimit,
        compactionSleepIntervalMillis);
  }

  public StoreOptions withMinLeaseTtlSeconds(long seconds) {
    return new StoreOptions(quotaBackendBytes, maxTxnOps, seconds, nanoTime,
        watchSyncIntervalMillis, progressNotifyIntervalMillis, compactionBatchLimit,
        compactionSleepIntervalMillis);
  }

  public StoreOptions withProgressNotifyIntervalMillis(long millis) {
    return new StoreOptions(quotaBackendBytes, maxTxnOps, minLeaseTtlSeconds, nanoTime,
        watchSyncIntervalMillis, millis, compactionBatchLimit, compactionSleepIntervalMillis);
  }

  public StoreOptions withCompaction(int batchLimit, long sleepIntervalMillis) {
    return new StoreOptions(quotaBackendBytes, maxTxnOps, minLeaseTtlSeconds, nanoTime,
        watchSyncIntervalMillis, progressNotifyIntervalMillis, batchLimit, sleepIntervalMillis);
  }

  /** The effective quota in bytes, or {@code Long.MAX_VALUE} when disabled. */
  long effectiveQuota() {
    if (quotaBackendBytes < 0) {
      return Long.MAX_VALUE;
    }
    return quotaBackendBytes == 0 ? DEFAULT_QUOTA_BYTES : quotaBackendBytes;
  }
}
