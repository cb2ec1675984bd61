package io.kvorum.storage.backend;

import io.kvorum.storage.LatencyHistogram;
import io.kvorum.storage.failpoint.Failpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The MVCC store's database: RocksDB with one column family per {@link Bucket}.
 *
 * <p>Durability: RocksDB's own log is off. The Raft WAL, fsynced before anything is applied,
 * already holds every change, so a second log only doubled the bytes each write copied. A {@link
 * #commit(WriteBatch)} lands in the memtables; RocksDB writes them to SST files when they fill,
 * all column families at once ({@code atomic_flush}), so the files on disk always hold a prefix
 * of the batches, whose last one carries the Raft index it applied (the consistent index). After
 * a crash of the process or of the machine the server re-applies the Raft WAL above that index.
 * This is etcd's split between its WAL and bbolt. {@link #sync()} makes every commit durable;
 * the server calls it before a snapshot lets WAL segments go, because after that the WAL can no
 * longer re-apply them. Example: applied through index 1,200, memtables last flushed at 1,000; a
 * crash now loses 1,001..1,200 from the database, and the restart re-applies them from the WAL.
 * {@link #checkpoint(Path)} flushes first, so a checkpoint is complete on its own; {@link #close()}
 * flushes too, so a clean stop re-applies nothing.
 *
 * <p>Thread-safe (RocksDB is); the store serialises writers.
 */
public final class Backend implements AutoCloseable {
  static {
    RocksDbLibrary.load();
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final Map<Bucket, ColumnFamilyHandle> buckets = new EnumMap<>(Bucket.class);
  private final WriteOptions writeOptions = new WriteOptions();
  private final LatencyHistogram commitDurations = new LatencyHistogram();

  private Backend(Path dir) throws RocksDBException {
    this.dir = dir;
    dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setAtomicFlush(true)
        .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery);
    writeOptions.setDisableWAL(true);
    // Small arena blocks keep the memtable's reported size close to the bytes written, which
    // the quota is computed from.
    cfOptions = new ColumnFamilyOptions().setArenaBlockSize(64 * 1024);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
    for (Bucket b : Bucket.values()) {
      descriptors.add(new ColumnFamilyDescriptor(b.columnFamilyName(), cfOptions));
    }
    handles = new ArrayList<>();
    db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    for (Bucket b : Bucket.values()) {
      buckets.put(b, handles.get(b.ordinal() + 1));
    }
  }

  /** Opens (creating if needed) the database in {@code dir}. */
  public static Backend open(Path dir) {
    Failpoints.checkConfiguration();
    try {
      Files.createDirectories(dir);
      return new Backend(dir);
    } catch (IOException | RocksDBException e) {
      throw new BackendException("cannot open backend database " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code dir} holds a database (RocksDB's CURRENT file). */
  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve("CURRENT"));
  }

  public Path dir() {
    return dir;
  }

  public byte[] get(Bucket bucket, byte[] key) {
    try {
      return db.get(buckets.get(bucket), key);
    } catch (RocksDBException e) {
      throw failure("read", e);
    }
  }

  /** Values of several keys of one bucket in one call (null where absent), in order. */
  public List<byte[]> multiGet(Bucket bucket, List<byte[]> keys) {
    try {
      return db.multiGetAsList(java.util.Collections.nCopies(keys.size(), buckets.get(bucket)), keys);
    } catch (RocksDBException e) {
      throw failure("read", e);
    }
  }

  /** Visits a bucket's entries with {@code from <= key < to} (null: unbounded) in key order. */
  public void scan(Bucket bucket, byte[] from, byte[] to, EntryVisitor visitor) {
    try (Slice upper = to == null ? null : new Slice(to);
        ReadOptions ro = new ReadOptions()) {
      if (upper != null) {
        ro.setIterateUpperBound(upper);
      }
      try (RocksIterator it = db.newIterator(buckets.get(bucket), ro)) {
        if (from == null) {
          it.seekToFirst();
        } else {
          it.seek(from);
        }
        for (; it.isValid(); it.next()) {
          if (!visitor.visit(it.key(), it.value())) {
            return;
          }
        }
        it.status();
      } catch (RocksDBException e) {
        throw failure("scan", e);
      }
    }
  }

  /** Receives backend entries; returns false to stop. */
  @FunctionalInterface
  public interface EntryVisitor {
    boolean visit(byte[] key, byte[] value);
  }

  public WriteBatch newBatch() {
    return new WriteBatch();
  }

  public void put(WriteBatch batch, Bucket bucket, byte[] key, byte[] value) {
    try {
      batch.put(buckets.get(bucket), key, value);
    } catch (RocksDBException e) {
      throw failure("batch put", e);
    }
  }

  public void delete(WriteBatch batch, Bucket bucket, byte[] key) {
    try {
      batch.delete(buckets.get(bucket), key);
    } catch (RocksDBException e) {
      throw failure("batch delete", e);
    }
  }

  /** Writes the batch atomically; records the duration (etcd_disk_backend_commit_duration_seconds). */
  public void commit(WriteBatch batch) {
    long start = System.nanoTime();
    try {
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw failure("commit", e);
    }
    commitDurations.recordNanos(System.nanoTime() - start);
  }

  /**
   * Makes every committed batch durable: writes the memtables to SST files, all column families
   * at once. Call before a Raft snapshot lets WAL segments go: the applied state they stand for
   * must then survive a crash on its own.
   */
  public void sync() {
    flushMemtables("sync");
  }

  private void flushMemtables(String what) {
    try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
      db.flush(fo, handles);
    } catch (RocksDBException e) {
      throw failure(what, e);
    }
  }

  public LatencyHistogram commitDurations() {
    return commitDurations;
  }

  /**
   * Writes a consistent point-in-time copy of the database into {@code target} (which must not
   * exist), hard-linking immutable files where it can. Flushes the memtables first so the copy
   * does not depend on RocksDB's log.
   */
  public void checkpoint(Path target) {
    flushMemtables("checkpoint to " + target);
    try (Checkpoint cp = Checkpoint.create(db)) {
      cp.createCheckpoint(target.toString());
    } catch (RocksDBException e) {
      throw failure("checkpoint to " + target, e);
    }
  }

  /**
   * Bytes the database takes: SST files plus memtables (etcd_mvcc_db_total_size_in_bytes). The
   * quota is checked against it.
   */
  public long sizeBytes() {
    return sumProperty("rocksdb.total-sst-files-size") + sumProperty("rocksdb.cur-size-all-mem-tables");
  }

  /** Estimated bytes of live data (etcd_mvcc_db_total_size_in_use_in_bytes). */
  public long sizeInUseBytes() {
    return Math.min(sizeBytes(),
        sumProperty("rocksdb.estimate-live-data-size") + sumProperty("rocksdb.cur-size-all-mem-tables"));
  }

  private long sumProperty(String name) {
    long total = 0;
    try {
      for (ColumnFamilyHandle h : handles) {
        total += db.getLongProperty(h, name);
      }
    } catch (RocksDBException e) {
      throw failure("read property " + name, e);
    }
    return total;
  }

  /**
   * etcd's defragment: rewrites every bucket so space freed by compaction and deletes is given
   * back to the file system. Safe while serving; it costs I/O proportional to the data.
   */
  public void defragment() {
    flushMemtables("defragment");
    try {
      for (ColumnFamilyHandle h : handles) {
        db.compactRange(h);
      }
    } catch (RocksDBException e) {
      throw failure("defragment", e);
    }
  }

  private BackendException failure(String what, RocksDBException e) {
    return new BackendException("backend " + what + " failed in " + dir + ": " + e.getMessage(), e);
  }

  /**
   * Flushes, then closes. A flush that fails (a full disk) still closes the database and is then
   * thrown: nothing is lost, the next start re-applies those entries from the Raft WAL.
   */
  @Override
  public void close() {
    BackendException flushFailure = null;
    try {
      flushMemtables("flush on close");
    } catch (BackendException e) {
      flushFailure = e;
    }
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    writeOptions.close();
    dbOptions.close();
    cfOptions.close();
    if (flushFailure != null) {
      throw flushFailure;
    }
  }
}
