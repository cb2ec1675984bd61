package io.kvorum.storage.mvcc;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.kvorum.raft.pb.ConfState;

/**
 * The writes of one batch of committed Raft entries, made durable together.
 *
 * <pre>{@code
 * long applied = store.consistentIndex();
 * try (ApplyBatch batch = store.beginApply()) {
 *   for (Entry e : ready.committedEntries()) {
 *     if (e.getIndex() <= applied) continue;          // applied before a restart
 *     try {
 *       results.put(e.getIndex(), batch.put(decode(e)));     // or txn, deleteRange, ...
 *     } catch (EtcdException err) {
 *       results.put(e.getIndex(), err);                       // deterministic, nothing written
 *     }
 *   }
 *   batch.commit(lastIndex);                               // one RocksDB write, index included
 * }
 * // now answer the clients and let watchers see the events
 * }</pre>
 *
 * <p>Each method is one write request: it takes one main revision if it changes anything, or
 * throws an {@link io.kvorum.storage.EtcdException} and changes nothing. Reads by other threads
 * see its effect at once. {@link #commit(long)} must follow; closing a batch that changed
 * something without committing (an exception in the apply loop) makes the store refuse every
 * further use with an IllegalStateException saying so: restart the member to recover.
 */
public final class ApplyBatch implements AutoCloseable {
  private final MvccStore store;

  ApplyBatch(MvccStore store) {
    this.store = store;
  }

  public PutResponse put(PutRequest r) {
    return store.put(this, r);
  }

  public DeleteRangeResponse deleteRange(DeleteRangeRequest r) {
    return store.deleteRange(this, r);
  }

  public TxnResponse txn(TxnRequest r) {
    return store.txn(this, r);
  }

  /** A linearizable read that went through the log (etcd applies those too). */
  public RangeResponse range(RangeRequest r) {
    return store.rangeInBatch(this, r);
  }

  /**
   * Compacts history at or below the revision: reads below it fail with "required revision has
   * been compacted" at once; the backend records go in the background once this batch commits.
   */
  public CompactionResponse compact(CompactionRequest r) {
    return store.compact(this, r);
  }

  /** Grants a lease; ID 0 picks an unused id deterministically (same on every member). */
  public LeaseGrantResponse leaseGrant(LeaseGrantRequest r) {
    return store.leaseGrant(this, r);
  }

  /** Revokes a lease, deleting its keys in one revision. */
  public LeaseRevokeResponse leaseRevoke(LeaseRevokeRequest r) {
    return store.leaseRevoke(this, r);
  }

  /**
   * Stores the Raft configuration after a conf change entry of this batch (what
   * {@code RawNode.applyConfChange} returned), atomically with the consistent index, so a
   * restart knows the membership as of the applied index ({@link MvccStore#confState()}).
   */
  public void setConfState(ConfState confState) {
    store.setConfState(this, confState);
  }

  /** Raises or clears the NOSPACE alarm (etcd's Alarm ACTIVATE/DEACTIVATE through the log). */
  public void setNoSpaceAlarm(boolean raised) {
    store.setNoSpaceAlarm(this, raised);
  }

  /**
   * Stores a record of the server's auth state ({@link io.kvorum.storage.backend.Bucket#AUTH})
   * with this batch: it becomes durable with the batch's applied index, or not at all.
   */
  public void putAuth(byte[] key, byte[] value) {
    store.putAuth(this, key, value);
  }

  /** Deletes a record of the server's auth state with this batch. */
  public void deleteAuth(byte[] key) {
    store.deleteAuth(this, key);
  }

  /**
   * Writes everything of this batch and {@code appliedIndex} (the Raft index of the last entry
   * it applied) in one atomic backend write, then notifies watchers.
   */
  public void commit(long appliedIndex) {
    store.commit(this, appliedIndex);
  }

  @Override
  public void close() {
    store.abandon(this);
  }
}
