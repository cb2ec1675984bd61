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
 * <p>Durability: every {@link #commit(WriteBatch)} goes to RocksDB's own log without fsync. That
 * survives a process crash; after a machine crash RocksDB recovers a prefix of the batches
 * (point-in-time recovery), and because each batch carries the Raft index it applied, the
 * server replays the rest from the Raft WAL, which is fsynced. {@link #checkpoint(Path)} flushes
 * first, so a checkpoint is complete on its own.
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
        .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery);
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
   * Forces RocksDB's log to disk. Call before a Raft snapshot lets the WAL be released: the
   * applied state it stands for must survive a machine crash on its own.
   */
  public void sync() {
    try {
      db.flushWal(true);
    } catch (RocksDBException e) {
      throw failure("sync", e);
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
    try (FlushOptions fo = new FlushOptions().setWaitForFlush(true);
        Checkpoint cp = Checkpoint.create(db)) {
      db.flush(fo, handles);
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
    try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
      db.flush(fo, handles);
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

  @Override
  public void close() {
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    writeOptions.close();
    dbOptions.close();
    cfOptions.close();
  }
}
