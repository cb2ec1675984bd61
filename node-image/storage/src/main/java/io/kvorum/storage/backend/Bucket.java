package io.kvorum.storage.backend;

import java.nio.charset.StandardCharsets;

/** The backend's key spaces (RocksDB column families), named like etcd's bbolt buckets. */
public enum Bucket {
  /** Revision ({@link io.kvorum.storage.mvcc.Revision} bytes) to a serialized KeyValue. */
  KEY("key"),
  /** Store bookkeeping: consistent index, compaction revisions, alarms. */
  META("meta"),
  /** Lease id (8 bytes big-endian) to a serialized LeaseGrantRequest (id and TTL). */
  LEASE("lease"),
  /**
   * The server's authentication state (etcd's auth, authUsers and authRoles buckets): written
   * only through {@code ApplyBatch.putAuth}, so it is as durable and as consistent with the
   * applied index as the key space, and travels with every backend snapshot.
   */
  AUTH("auth");

  private final String columnFamily;

  Bucket(String columnFamily) {
    this.columnFamily = columnFamily;
  }

  byte[] columnFamilyName() {
    return columnFamily.getBytes(StandardCharsets.UTF_8);
  }
}
