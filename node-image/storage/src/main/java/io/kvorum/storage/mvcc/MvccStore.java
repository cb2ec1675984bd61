package io.kvorum.storage.mvcc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.HashResponse;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.storage.EtcdException;
import io.kvorum.storage.EtcdException.Kind;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.backend.Bucket;
import io.kvorum.storage.failpoint.Failpoints;
import io.kvorum.storage.lease.Lessor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;
import org.rocksdb.WriteBatch;

/**
 * The multi-version key-value store, with etcd's semantics (etcd's {@code mvcc.store} plus its
 * apply layer): it takes and returns etcd's own API messages.
 *
 * <p><b>Revisions.</b> An empty store is at revision 1. Every request that changes something
 * (put, delete that deletes, txn with changes, lease revoke with keys) takes the next main
 * revision; its changes are numbered by sub revision. A read-only request does not move it.
 *
 * <p><b>Writing.</b> Only the Raft apply loop writes, through {@link #beginApply()}: all entries
 * of one committed batch go into one {@link ApplyBatch}, which {@link ApplyBatch#commit(long)}
 * writes as one RocksDB write batch together with the Raft index of the last entry (the
 * <em>consistent index</em>). After a crash the store is exactly at some committed batch, and
 * the server re-applies the WAL's entries above {@link #consistentIndex()}: nothing twice,
 * nothing skipped.
 *
 * <p><b>Reading.</b> Any thread may call {@link #range}; it sees every request applied so far,
 * including those of a batch not yet committed to RocksDB (as etcd's read buffer does). A request
 * that fails with an {@link EtcdException} changed nothing.
 *
 * <p><b>Recovery.</b> {@link #open} rebuilds the key index, leases and their keys from the
 * backend, then the current, compact and consistent revisions from its metadata. {@link
 * #restore} does the same over a snapshot's backend while the store stays open.
 */
public final class MvccStore implements AutoCloseable {
  private static final byte[] CONSISTENT_INDEX = utf8("consistent_index");
  private static final byte[] SCHEDULED_COMPACT_REV = utf8("scheduledCompactRev");
  private static final byte[] FINISHED_COMPACT_REV = utf8("finishedCompactRev");
  private static final byte[] ALARM_NOSPACE = utf8("alarm_nospace");
  private static final byte[] CONF_STATE = utf8("confState");

  private Backend backend;
  private final StoreOptions options;
  private final TreeIndex index = new TreeIndex();
  private final Lessor lessor;
  private final WatchableStore watchable;
  private Compactor compactor;
  /** Compactions applied in the open batch, handed to the compactor once committed. */
  private final List<Long> uncommittedCompactions = new ArrayList<>();
  private long finishedCompactRev = -1;
  private boolean closed;
  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  /** Values written by the open batch, not yet in RocksDB, by revision. */
  private final NavigableMap<Revision, KeyValue> pending = new TreeMap<>();

  private long currentRev = 1;
  private long committedRev = 1;
  private long compactRev = -1;
  private long consistentIndex;
  private boolean noSpaceAlarm;
  private ConfState confState;
  private WriteBatch batch;
  private ApplyBatch openBatch;
  /** Backend size when the open batch began plus the quota cost of what it accepted since. */
  private long batchSizeBytes;
  private List<Event> uncommittedEvents = new ArrayList<>();
  private volatile String broken;

  private MvccStore(Backend backend, StoreOptions options) {
    this.backend = backend;
    this.options = options;
    this.lessor = new Lessor(options.nanoTime(), options.minLeaseTtlSeconds());
    restore();
    this.watchable = new WatchableStore(this, options);
    startCompactor();
  }

  private void startCompactor() {
    compactor = new Compactor(this, options.compactionBatchLimit(), options.compactionSleepIntervalMillis());
    if (compactRev > finishedCompactRev) {
      compactor.schedule(compactRev); // resume what a crash, close or restore interrupted
    }
  }

  /** Opens the store over {@code backend}, rebuilding its in-memory state. */
  public static MvccStore open(Backend backend, StoreOptions options) {
    return new MvccStore(backend, options);
  }

  /**
   * Replaces the whole state with a snapshot's backend, as etcd's {@code store.Restore}: a
   * follower too far behind installs the leader's database instead of replaying entries.
   *
   * <p>Watchers survive it. Every watcher becomes unsynced with its {@code minRev} unchanged and
   * catches up from the new backend, so it sees each revision it missed exactly once, or, when
   * the snapshot is compacted past its {@code minRev}, gets a compacted response. Example: a
   * watcher on {@code /a} has seen up to revision 40 (minRev 41); the snapshot is at revision 90,
   * compacted at 30; the next sync pass sends the events of 41..90 that match {@code /a}.
   *
   * @param swap closes the current backend and opens the snapshot's in its place; it runs under
   *     the store's write lock, so no reader sees a closed or half-written backend
   */
  public void restore(java.util.function.UnaryOperator<Backend> swap) {
    compactor.close(); // a job of the old state must not delete history of the new one
    lock.writeLock().lock();
    try {
      if (openBatch != null) {
        throw new IllegalStateException("cannot restore a snapshot while an apply batch is open");
      }
      backend = swap.apply(backend);
      index.clear();
      lessor.clear();
      pending.clear();
      uncommittedCompactions.clear();
      currentRev = 1;
      compactRev = -1;
      uncommittedEvents = new ArrayList<>();
      restore();
      startCompactor();
      watchable.resyncAll();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void restore() {
    byte[] ci = backend.get(Bucket.META, CONSISTENT_INDEX);
    consistentIndex = ci == null ? 0 : ByteBuffer.wrap(ci).getLong();
    byte[] finished = backend.get(Bucket.META, FINISHED_COMPACT_REV);
    finishedCompactRev = finished == null ? -1 : ByteBuffer.wrap(finished).getLong();
    byte[] scheduled = backend.get(Bucket.META, SCHEDULED_COMPACT_REV);
    compactRev = Math.max(finishedCompactRev, scheduled == null ? -1 : ByteBuffer.wrap(scheduled).getLong());
    noSpaceAlarm = backend.get(Bucket.META, ALARM_NOSPACE) != null;
    byte[] cs = backend.get(Bucket.META, CONF_STATE);
    confState = cs == null ? null : parse(cs, ConfState.parser());
    backend.scan(Bucket.LEASE, null, null, (k, v) -> {
      LeaseGrantRequest l = parse(v, LeaseGrantRequest.parser());
      lessor.grant(l.getID(), l.getTTL());
      return true;
    });
    Map<ByteString, Long> leaseOfKey = new HashMap<>();
    backend.scan(Bucket.KEY, null, null, (k, v) -> {
      Revision rev = Revision.fromBytes(k);
      KeyValue kv = parse(v, KeyValue.parser());
      if (Revision.isTombstone(k)) {
        if (index.isAlive(kv.getKey())) {
          index.tombstone(kv.getKey(), rev);
        } else if (rev.main() > compactRev) {
          throw new IllegalStateException("backend has a deletion of " + kv.getKey().toStringUtf8()
              + " at " + rev + " without the key: the backend is inconsistent");
        } // else: left over by an interrupted compaction, which resumes below
        leaseOfKey.remove(kv.getKey());
      } else {
        index.restore(kv.getKey(), rev, kv.getCreateRevision(), kv.getVersion());
        leaseOfKey.put(kv.getKey(), kv.getLease());
      }
      currentRev = Math.max(currentRev, rev.main());
      return true;
    });
    currentRev = Math.max(currentRev, compactRev);
    committedRev = currentRev;
    if (compactRev > finishedCompactRev) {
      index.compact(compactRev); // drop what the interrupted compaction had not deleted yet
    }
    leaseOfKey.forEach((key, lease) -> {
      if (lease != 0 && lessor.exists(lease)) {
        lessor.attach(key, lease);
      }
    });
  }

  // ---------------------------------------------------------------- reads

  /** etcd's Range; the header carries only the revision. */
  public RangeResponse range(RangeRequest r) {
    lock.readLock().lock();
    try {
      checkUsable();
      RequestChecks.requireKey(r.getKey());
      return rangeAt(r, currentRev);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * A txn that only reads (etcd's {@code isTxnReadonly}: ranges and nested read-only txns in
   * both branches), served at the current revision without going through Raft. The caller makes
   * it linearizable the way it does a range (ReadIndex, then wait for the apply).
   *
   * <p>Example: {@code if mod_revision("a") == 5 then get "a" else get "b"} reads; {@code if
   * ... then get "a" else put "b"} does not, even when the compare would pick the read branch.
   */
  public static boolean isReadOnly(TxnRequest t) {
    for (List<RequestOp> ops : List.of(t.getSuccessList(), t.getFailureList())) {
      for (RequestOp op : ops) {
        boolean reads = switch (op.getRequestCase()) {
          case REQUEST_RANGE, REQUEST_NOT_SET -> true;
          case REQUEST_TXN -> isReadOnly(op.getRequestTxn());
          case REQUEST_PUT, REQUEST_DELETE_RANGE -> false;
        };
        if (!reads) {
          return false;
        }
      }
    }
    return true;
  }

  /** Serves a txn for which {@link #isReadOnly} holds; the same answer as applying it. */
  public TxnResponse readOnlyTxn(TxnRequest t) {
    if (!isReadOnly(t)) {
      throw new IllegalArgumentException("txn writes; it must go through Raft");
    }
    lock.readLock().lock();
    try {
      checkUsable();
      RequestChecks.checkTxn(t, options.maxTxnOps());
      long rev = currentRev;
      TxnPath path = choosePath(t, rev);
      checkTxnOps(t, path, rev);
      return readTxn(t, path, rev).setHeader(header(rev)).build();
    } finally {
      lock.readLock().unlock();
    }
  }

  private TxnResponse.Builder readTxn(TxnRequest t, TxnPath path, long rev) {
    TxnResponse.Builder resp = TxnResponse.newBuilder().setSucceeded(path.succeeded());
    int nested = 0;
    for (RequestOp op : path.succeeded() ? t.getSuccessList() : t.getFailureList()) {
      ResponseOp.Builder r = ResponseOp.newBuilder();
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> r.setResponseRange(rangeAt(op.getRequestRange(), rev));
        case REQUEST_TXN -> r.setResponseTxn(
            readTxn(op.getRequestTxn(), path.nested().get(nested++), rev)
                .setHeader(ResponseHeader.getDefaultInstance()));
        case REQUEST_PUT, REQUEST_DELETE_RANGE, REQUEST_NOT_SET -> { }
      }
      resp.addResponses(r);
    }
    return resp;
  }

  /** The revision of the last applied change (1 for an empty store). */
  public long currentRevision() {
    lock.readLock().lock();
    try {
      return currentRev;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The revision of the last compaction, or -1 if never compacted. */
  public long compactRevision() {
    lock.readLock().lock();
    try {
      return compactRev;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The Raft index of the last entry committed to the backend; the server applies above it. */
  public long consistentIndex() {
    lock.readLock().lock();
    try {
      return consistentIndex;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The Raft configuration as of the applied index, as the apply loop stored it with
   * {@link ApplyBatch#setConfState}, or null if it never did. Hand it to
   * {@code WalStorage.useAppliedConfState} on start.
   */
  public ConfState confState() {
    lock.readLock().lock();
    try {
      return confState;
    } finally {
      lock.readLock().unlock();
    }
  }

  public Lessor lessor() {
    return lessor;
  }

  public WatchableStore watchableStore() {
    return watchable;
  }

  public Backend backend() {
    return backend;
  }

  /** etcd_mvcc_db_total_size_in_bytes. */
  public long sizeBytes() {
    return backend.sizeBytes();
  }

  /** etcd_mvcc_db_total_size_in_use_in_bytes. */
  public long sizeInUseBytes() {
    return backend.sizeInUseBytes();
  }

  /** Whether the NOSPACE alarm is raised: puts, txns with puts and lease grants fail until disarmed. */
  public boolean noSpaceAlarm() {
    lock.readLock().lock();
    try {
      return noSpaceAlarm;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The server's check before proposing (etcd's quota KV server): throws NO_SPACE when the
   * alarm is raised or the request would take the database past the quota.
   */
  public void checkQuota(Object request) {
    long cost = QuotaCost.of(request);
    if (cost == 0) {
      return;
    }
    if (noSpaceAlarm() || backend.sizeBytes() + cost >= options.effectiveQuota()) {
      throw new EtcdException(Kind.NO_SPACE);
    }
  }

  /** Lease keep-alive on the leader; see {@link Lessor#renew(long)}. */
  public LeaseKeepAliveResponse leaseKeepAlive(LeaseKeepAliveRequest r) {
    long ttl = lessor.renew(r.getID());
    return LeaseKeepAliveResponse.newBuilder()
        .setHeader(header(currentRevision())).setID(r.getID()).setTTL(ttl).build();
  }

  /** Lease time-to-live on the leader; an unknown lease answers TTL -1, as etcd does. */
  public LeaseTimeToLiveResponse leaseTimeToLive(LeaseTimeToLiveRequest r) {
    Lessor.LeaseInfo info = lessor.timeToLive(r.getID());
    LeaseTimeToLiveResponse.Builder b = LeaseTimeToLiveResponse.newBuilder()
        .setHeader(header(currentRevision())).setID(r.getID());
    if (info == null) {
      return b.setTTL(-1).build();
    }
    b.setTTL(info.remainingSeconds()).setGrantedTTL(info.ttlSeconds());
    if (r.getKeys()) {
      b.addAllKeys(info.keys());
    }
    return b.build();
  }

  /**
   * etcd's Hash: CRC-32C of every bucket of the backend as committed (a member-to-member
   * consistency check; members with the same applied state agree).
   */
  public HashResponse hash() {
    lock.writeLock().lock();
    try {
      CRC32C crc = new CRC32C();
      for (Bucket b : Bucket.values()) {
        crc.update(b.name().getBytes(StandardCharsets.UTF_8));
        backend.scan(b, null, null, (k, v) -> {
          boolean memberLocal = b == Bucket.META && (java.util.Arrays.equals(k, CONSISTENT_INDEX)
              || java.util.Arrays.equals(k, FINISHED_COMPACT_REV));
          if (!memberLocal && (b != Bucket.KEY || inHistory(k, v))) {
            crc.update(k);
            crc.update(v);
          }
          return true;
        });
      }
      return HashResponse.newBuilder().setHeader(header(committedRev))
          .setHash((int) crc.getValue()).build();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** etcd's HashKV: CRC-32C of the key bucket up to {@code revision} (0: the current one). */
  public HashKVResponse hashKV(HashKVRequest r) {
    lock.writeLock().lock();
    try {
      long rev = r.getRevision() == 0 ? committedRev : r.getRevision();
      if (rev > committedRev) {
        throw new EtcdException(Kind.FUTURE_REV);
      }
      if (rev < compactRev) {
        throw new EtcdException(Kind.COMPACTED);
      }
      CRC32C crc = new CRC32C();
      crc.update(Bucket.KEY.name().getBytes(StandardCharsets.UTF_8));
      backend.scan(Bucket.KEY, null, new Revision(rev + 1, 0).toBytes(), (k, v) -> {
        if (inHistory(k, v)) {
          crc.update(k);
          crc.update(v);
        }
        return true;
      });
      return HashKVResponse.newBuilder().setHeader(header(committedRev))
          .setHash((int) crc.getValue()).setCompactRevision(compactRev).build();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Whether a backend record is part of the history, and not one a background compaction has
   * still to delete: hashes must not depend on how far that got.
   */
  private boolean inHistory(byte[] k, byte[] v) {
    Revision rev = Revision.fromBytes(k);
    return rev.main() > compactRev || index.contains(parse(v, KeyValue.parser()).getKey(), rev);
  }

  /** etcd's Defragment: gives the space of compacted and deleted data back to the file system. */
  public void defragment() {
    backend.defragment();
  }

  // ---------------------------------------------------------------- writes (apply loop)

  /**
   * Starts the batch for the next committed Raft entries. One batch at a time, from the apply
   * thread only. See {@link ApplyBatch}.
   */
  public ApplyBatch beginApply() {
    lock.writeLock().lock();
    try {
      checkUsable();
      if (openBatch != null) {
        throw new IllegalStateException("an apply batch is already open: commit it first");
      }
      batch = backend.newBatch();
      batchSizeBytes = backend.sizeBytes();
      openBatch = new ApplyBatch(this);
      return openBatch;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** The changes of one write request: one main revision, sub revisions in order. */
  private final class WriteTxn {
    final long beginRev = currentRev;
    int changes;

    long writeRev() {
      return beginRev + 1;
    }

    /** What reads inside the txn see: its own earlier changes included. */
    long readRev() {
      return changes > 0 ? beginRev + 1 : beginRev;
    }

    Revision next() {
      return new Revision(beginRev + 1, changes++);
    }

    void end() {
      if (changes > 0) {
        currentRev = beginRev + 1;
      }
    }
  }

  PutResponse put(ApplyBatch owner, PutRequest p) {
    return write(owner, () -> {
      RequestChecks.checkPut(p);
      if (p.getLease() != 0 && !lessor.exists(p.getLease())) {
        throw new EtcdException(Kind.LEASE_NOT_FOUND);
      }
      checkSpace(QuotaCost.of(p));
      WriteTxn tw = new WriteTxn();
      PutResponse resp = putIn(tw, p);
      tw.end();
      return resp;
    });
  }

  DeleteRangeResponse deleteRange(ApplyBatch owner, DeleteRangeRequest d) {
    return write(owner, () -> {
      RequestChecks.requireKey(d.getKey());
      WriteTxn tw = new WriteTxn();
      DeleteRangeResponse resp = deleteIn(tw, d);
      tw.end();
      return resp;
    });
  }

  TxnResponse txn(ApplyBatch owner, TxnRequest t) {
    return write(owner, () -> {
      RequestChecks.checkTxn(t, options.maxTxnOps());
      WriteTxn tw = new WriteTxn();
      TxnPath path = choosePath(t, tw.beginRev);
      checkTxnOps(t, path, tw.beginRev);
      checkSpace(QuotaCost.of(t));
      TxnResponse.Builder resp = applyTxn(tw, t, path);
      tw.end();
      return resp.setHeader(header(tw.readRev())).build();
    });
  }

  RangeResponse rangeInBatch(ApplyBatch owner, RangeRequest r) {
    return write(owner, () -> {
      RequestChecks.requireKey(r.getKey());
      return rangeAt(r, currentRev);
    });
  }

  CompactionResponse compact(ApplyBatch owner, CompactionRequest c) {
    return write(owner, () -> {
      long rev = c.getRevision();
      if (rev <= compactRev) {
        throw new EtcdException(Kind.COMPACTED);
      }
      if (rev > currentRev) {
        throw new EtcdException(Kind.FUTURE_REV);
      }
      compactRev = rev;
      index.compact(rev);
      backend.put(batch, Bucket.META, SCHEDULED_COMPACT_REV, longBytes(rev));
      uncommittedCompactions.add(rev);
      return CompactionResponse.newBuilder().setHeader(header(currentRev)).build();
    });
  }

  LeaseGrantResponse leaseGrant(ApplyBatch owner, LeaseGrantRequest g) {
    return write(owner, () -> {
      checkSpace(QuotaCost.LEASE_OVERHEAD);
      long ttl = lessor.effectiveTtl(g.getTTL());
      long id = g.getID() != 0 ? g.getID() : chooseLeaseId();
      lessor.grant(id, ttl);
      backend.put(batch, Bucket.LEASE, longBytes(id),
          LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl).build().toByteArray());
      return LeaseGrantResponse.newBuilder()
          .setHeader(header(currentRev)).setID(id).setTTL(ttl).build();
    });
  }

  LeaseRevokeResponse leaseRevoke(ApplyBatch owner, LeaseRevokeRequest r) {
    return write(owner, () -> {
      List<ByteString> keys = lessor.remove(r.getID());
      WriteTxn tw = new WriteTxn();
      for (ByteString key : keys) {
        deleteKeys(tw, key, null);
      }
      tw.end();
      backend.delete(batch, Bucket.LEASE, longBytes(r.getID()));
      return LeaseRevokeResponse.newBuilder().setHeader(header(currentRev)).build();
    });
  }

  void setConfState(ApplyBatch owner, ConfState cs) {
    write(owner, () -> {
      confState = cs;
      backend.put(batch, Bucket.META, CONF_STATE, cs.toByteArray());
      return null;
    });
  }

  void setNoSpaceAlarm(ApplyBatch owner, boolean raised) {
    write(owner, () -> {
      noSpaceAlarm = raised;
      if (raised) {
        backend.put(batch, Bucket.META, ALARM_NOSPACE, new byte[] {1});
      } else {
        backend.delete(batch, Bucket.META, ALARM_NOSPACE);
      }
      return null;
    });
  }

  void putAuth(ApplyBatch owner, byte[] key, byte[] value) {
    write(owner, () -> {
      backend.put(batch, Bucket.AUTH, key, value);
      return null;
    });
  }

  void deleteAuth(ApplyBatch owner, byte[] key) {
    write(owner, () -> {
      backend.delete(batch, Bucket.AUTH, key);
      return null;
    });
  }

  /**
   * Visits the committed records of the server's auth state in key order (after {@link #open}
   * or {@link #restore}, to rebuild the server's in-memory copy).
   */
  public void scanAuth(Backend.EntryVisitor visitor) {
    lock.readLock().lock();
    try {
      checkUsable();
      backend.scan(Bucket.AUTH, null, null, visitor);
    } finally {
      lock.readLock().unlock();
    }
  }

  void commit(ApplyBatch owner, long appliedIndex) {
    lock.writeLock().lock();
    try {
      checkOwner(owner);
      if (appliedIndex <= consistentIndex) {
        throw new IllegalStateException("raft index " + appliedIndex
            + " is already applied (consistent index " + consistentIndex
            + "): the apply loop must skip entries at or below consistentIndex()");
      }
      backend.put(batch, Bucket.META, CONSISTENT_INDEX, longBytes(appliedIndex));
      try {
        Failpoints.hit(Failpoints.BACKEND_BEFORE_COMMIT);
        backend.commit(batch);
      } catch (RuntimeException e) {
        broken = "backend commit failed: " + e.getMessage();
        throw e;
      } finally {
        batch.close();
        batch = null;
        openBatch = null;
      }
      consistentIndex = appliedIndex;
      committedRev = currentRev;
      pending.clear();
      List<Event> events = uncommittedEvents;
      uncommittedEvents = new ArrayList<>();
      watchable.notifyCommitted(events, committedRev);
      uncommittedCompactions.forEach(compactor::schedule);
      uncommittedCompactions.clear();
    } finally {
      lock.writeLock().unlock();
    }
  }

  void abandon(ApplyBatch owner) {
    lock.writeLock().lock();
    try {
      if (openBatch != owner) {
        return;
      }
      boolean changed = batch.count() > 0 || !uncommittedEvents.isEmpty()
          || !uncommittedCompactions.isEmpty();
      batch.close();
      batch = null;
      openBatch = null;
      if (changed) {
        // Not thrown here: close() usually runs in a finally while another exception is on its
        // way, which must not be masked. Every later use of the store reports this.
        broken = "an apply batch with changes was closed without commit; the in-memory state is"
            + " ahead of the backend: restart the member to recover from the WAL";
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private interface Op<T> {
    T run();
  }

  private <T> T write(ApplyBatch owner, Op<T> op) {
    lock.writeLock().lock();
    try {
      checkOwner(owner);
      return op.run();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void checkOwner(ApplyBatch owner) {
    checkUsable();
    if (openBatch != owner || owner == null) {
      throw new IllegalStateException("this apply batch is no longer open");
    }
  }

  private void checkUsable() {
    if (broken != null) {
      throw new IllegalStateException("store unusable: " + broken);
    }
  }

  // ---------------------------------------------------------------- the operations

  private RangeResponse rangeAt(RangeRequest r, long curRev) {
    long rev = r.getRevision();
    if (rev > curRev) {
      throw new EtcdException(Kind.FUTURE_REV);
    }
    if (rev <= 0) {
      rev = curRev;
    }
    if (rev < compactRev) {
      throw new EtcdException(Kind.COMPACTED);
    }
    boolean fetchAll = r.getSortOrder() != RangeRequest.SortOrder.NONE
        || r.getMinModRevision() != 0 || r.getMaxModRevision() != 0
        || r.getMinCreateRevision() != 0 || r.getMaxCreateRevision() != 0;
    long limit = r.getLimit();
    int fetch; // keys to read values for; 0: all. One more than the limit tells about "more".
    if (r.getCountOnly()) {
      fetch = 1;
    } else if (fetchAll || limit <= 0) {
      fetch = 0;
    } else {
      fetch = (int) Math.min(limit + 1, Integer.MAX_VALUE);
    }
    TreeIndex.Page page = index.page(r.getKey(), TreeIndex.rangeEnd(r.getRangeEnd()), rev, fetch);
    RangeResponse.Builder resp = RangeResponse.newBuilder()
        .setHeader(header(curRev)).setCount(page.total());
    if (r.getCountOnly()) {
      return resp.build();
    }
    List<KeyValue> kvs = new ArrayList<>(page.keys().size());
    for (KeyValue kv : valuesAt(page.keys())) {
      if (r.getMaxModRevision() != 0 && kv.getModRevision() > r.getMaxModRevision()
          || r.getMinModRevision() != 0 && kv.getModRevision() < r.getMinModRevision()
          || r.getMaxCreateRevision() != 0 && kv.getCreateRevision() > r.getMaxCreateRevision()
          || r.getMinCreateRevision() != 0 && kv.getCreateRevision() < r.getMinCreateRevision()) {
        continue;
      }
      kvs.add(kv);
    }
    RangeSort.sort(kvs, r.getSortOrder(), r.getSortTarget());
    if (limit > 0 && kvs.size() > limit) {
      kvs = kvs.subList(0, (int) limit);
      resp.setMore(true);
    }
    for (KeyValue kv : kvs) {
      resp.addKvs(r.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
    }
    return resp.build();
  }

  private PutResponse putIn(WriteTxn tw, PutRequest p) {
    PutResponse.Builder resp = PutResponse.newBuilder();
    ByteString value = p.getValue();
    long lease = p.getLease();
    if (p.getIgnoreValue() || p.getIgnoreLease() || p.getPrevKv()) {
      KeyValue prev = current(p.getKey(), tw.readRev());
      if ((p.getIgnoreValue() || p.getIgnoreLease()) && prev == null) {
        throw new EtcdException(Kind.KEY_NOT_FOUND);
      }
      if (p.getIgnoreValue()) {
        value = prev.getValue();
      }
      if (p.getIgnoreLease()) {
        lease = prev.getLease();
      }
      if (p.getPrevKv() && prev != null) {
        resp.setPrevKv(prev);
      }
    }
    Revision rev = tw.next();
    KeyIndex.Found f = index.put(p.getKey(), rev);
    KeyValue kv = KeyValue.newBuilder()
        .setKey(p.getKey())
        .setValue(value)
        .setCreateRevision(f == null ? rev.main() : f.created().main())
        .setModRevision(rev.main())
        .setVersion(f == null ? 1 : f.version() + 1)
        .setLease(lease)
        .build();
    writeValue(rev, kv, false);
    lessor.attach(p.getKey(), lease);
    uncommittedEvents.add(Event.newBuilder().setType(Event.EventType.PUT).setKv(kv).build());
    return resp.setHeader(header(rev.main())).build();
  }

  private DeleteRangeResponse deleteIn(WriteTxn tw, DeleteRangeRequest d) {
    DeleteRangeResponse.Builder resp = DeleteRangeResponse.newBuilder();
    ByteString end = TreeIndex.rangeEnd(d.getRangeEnd());
    if (d.getPrevKv()) {
      for (TreeIndex.Alive a : index.alive(d.getKey(), end, tw.readRev())) {
        resp.addPrevKvs(valueAt(a.found().modified()));
      }
    }
    long deleted = deleteKeys(tw, d.getKey(), end);
    long rev = deleted != 0 || tw.changes > 0 ? tw.writeRev() : tw.beginRev;
    return resp.setDeleted(deleted).setHeader(header(rev)).build();
  }

  private long deleteKeys(WriteTxn tw, ByteString key, ByteString end) {
    List<TreeIndex.Alive> alive = index.alive(key, end, tw.readRev());
    for (TreeIndex.Alive a : alive) {
      Revision rev = tw.next();
      KeyValue tomb = KeyValue.newBuilder().setKey(a.key()).setModRevision(rev.main()).build();
      writeValue(rev, tomb, true);
      index.tombstone(a.key(), rev);
      lessor.attach(a.key(), 0);
      uncommittedEvents.add(
          Event.newBuilder().setType(Event.EventType.DELETE).setKv(tomb).build());
    }
    return alive.size();
  }

  /** Which branch each txn (and nested txn) takes, decided before any of its ops run. */
  private record TxnPath(boolean succeeded, List<TxnPath> nested) {}

  private TxnPath choosePath(TxnRequest t, long rev) {
    boolean ok = true;
    for (Compare c : t.getCompareList()) {
      if (!compare(c, rev)) {
        ok = false;
        break;
      }
    }
    List<TxnPath> nested = new ArrayList<>();
    for (RequestOp op : ok ? t.getSuccessList() : t.getFailureList()) {
      if (op.hasRequestTxn()) {
        nested.add(choosePath(op.getRequestTxn(), rev));
      }
    }
    return new TxnPath(ok, nested);
  }

  /** etcd's applyCompare: every key in range must satisfy it; a missing key compares as zero. */
  private boolean compare(Compare c, long rev) {
    List<TreeIndex.Alive> alive = index.alive(c.getKey(), TreeIndex.rangeEnd(c.getRangeEnd()), rev);
    if (alive.isEmpty()) {
      return c.getTarget() != Compare.CompareTarget.VALUE
          && Compares.holds(c, KeyValue.getDefaultInstance());
    }
    for (TreeIndex.Alive a : alive) {
      if (!Compares.holds(c, valueAt(a.found().modified()))) {
        return false;
      }
    }
    return true;
  }

  /** etcd's checkRequests: ops of the chosen branches that would fail, fail before any write. */
  private void checkTxnOps(TxnRequest t, TxnPath path, long rev) {
    int nested = 0;
    for (RequestOp op : path.succeeded() ? t.getSuccessList() : t.getFailureList()) {
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> {
          long r = op.getRequestRange().getRevision();
          if (r > rev) {
            throw new EtcdException(Kind.FUTURE_REV);
          }
          if (r > 0 && r < compactRev) {
            throw new EtcdException(Kind.COMPACTED);
          }
        }
        case REQUEST_PUT -> {
          PutRequest p = op.getRequestPut();
          if ((p.getIgnoreValue() || p.getIgnoreLease()) && current(p.getKey(), rev) == null) {
            throw new EtcdException(Kind.KEY_NOT_FOUND);
          }
          if (p.getLease() != 0 && !lessor.exists(p.getLease())) {
            throw new EtcdException(Kind.LEASE_NOT_FOUND);
          }
        }
        case REQUEST_TXN -> checkTxnOps(op.getRequestTxn(), path.nested().get(nested++), rev);
        case REQUEST_DELETE_RANGE, REQUEST_NOT_SET -> { }
      }
    }
  }

  private TxnResponse.Builder applyTxn(WriteTxn tw, TxnRequest t, TxnPath path) {
    TxnResponse.Builder resp = TxnResponse.newBuilder().setSucceeded(path.succeeded());
    int nested = 0;
    for (RequestOp op : path.succeeded() ? t.getSuccessList() : t.getFailureList()) {
      ResponseOp.Builder r = ResponseOp.newBuilder();
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> r.setResponseRange(rangeAt(op.getRequestRange(), tw.readRev()));
        case REQUEST_PUT -> r.setResponsePut(putIn(tw, op.getRequestPut()));
        case REQUEST_DELETE_RANGE ->
            r.setResponseDeleteRange(deleteIn(tw, op.getRequestDeleteRange()));
        case REQUEST_TXN -> r.setResponseTxn(
            applyTxn(tw, op.getRequestTxn(), path.nested().get(nested++))
                .setHeader(ResponseHeader.getDefaultInstance()));
        case REQUEST_NOT_SET -> { }
      }
      resp.addResponses(r);
    }
    return resp;
  }

  // ---------------------------------------------------------------- helpers

  private void checkSpace(long cost) {
    if (cost == 0) {
      return;
    }
    if (noSpaceAlarm || batchSizeBytes + cost >= options.effectiveQuota()) {
      if (!noSpaceAlarm) {
        noSpaceAlarm = true;
        backend.put(batch, Bucket.META, ALARM_NOSPACE, new byte[] {1});
      }
      throw new EtcdException(Kind.NO_SPACE);
    }
    batchSizeBytes += cost;
  }

  private long chooseLeaseId() {
    long seed = currentRev * 0x9E3779B97F4A7C15L + lessor.leases().size();
    while (true) {
      seed += 0x9E3779B97F4A7C15L;
      long z = seed;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      long id = (z ^ (z >>> 31)) & Long.MAX_VALUE;
      if (id != 0 && !lessor.exists(id)) {
        return id;
      }
    }
  }

  private KeyValue current(ByteString key, long rev) {
    KeyIndex.Found f = index.get(key, rev);
    return f == null ? null : valueAt(f.modified());
  }

  private void writeValue(Revision rev, KeyValue kv, boolean tombstone) {
    backend.put(batch, Bucket.KEY, keyBytes(rev, tombstone), kv.toByteArray());
    pending.put(rev, kv);
  }

  private static byte[] keyBytes(Revision rev, boolean tombstone) {
    return tombstone ? rev.toTombstoneBytes() : rev.toBytes();
  }

  /** The values of many keys: pending ones from memory, the rest in one backend call. */
  private List<KeyValue> valuesAt(List<TreeIndex.Alive> keys) {
    List<KeyValue> out = new ArrayList<>(keys.size());
    List<byte[]> missing = new ArrayList<>();
    for (TreeIndex.Alive a : keys) {
      KeyValue p = pending.get(a.found().modified());
      out.add(p);
      if (p == null) {
        missing.add(a.found().modified().toBytes());
      }
    }
    if (missing.isEmpty()) {
      return out;
    }
    List<byte[]> values = backend.multiGet(Bucket.KEY, missing);
    int next = 0;
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i) == null) {
        byte[] v = values.get(next++);
        if (v == null) {
          throw inconsistent(keys.get(i).found().modified());
        }
        out.set(i, parse(v, KeyValue.parser()));
      }
    }
    return out;
  }

  private static IllegalStateException inconsistent(Revision rev) {
    return new IllegalStateException("backend has no value at revision " + rev
        + " although the key index refers to it: the backend is inconsistent");
  }

  private KeyValue valueAt(Revision rev) {
    KeyValue p = pending.get(rev);
    if (p != null) {
      return p;
    }
    byte[] v = backend.get(Bucket.KEY, rev.toBytes());
    if (v == null) {
      throw inconsistent(rev);
    }
    return parse(v, KeyValue.parser());
  }

  // ---------------------------------------------------------------- for the compactor

  /**
   * Deletes up to {@code limit} backend records at or below {@code rev} that the key index no
   * longer has, starting at {@code from} (null: the beginning), in one backend write.
   *
   * @return where to continue, or null when the compaction at {@code rev} is complete
   */
  byte[] compactChunk(long rev, byte[] from, int limit) {
    lock.writeLock().lock();
    try {
      if (closed || broken != null) {
        return null;
      }
      byte[][] last = {null};
      int[] seen = {0};
      try (WriteBatch deletes = backend.newBatch()) {
        backend.scan(Bucket.KEY, from, new Revision(rev + 1, 0).toBytes(), (k, v) -> {
          if (seen[0] == limit) {
            return false;
          }
          seen[0]++;
          last[0] = k;
          if (!index.contains(parse(v, KeyValue.parser()).getKey(), Revision.fromBytes(k))) {
            backend.delete(deletes, Bucket.KEY, k);
          }
          return true;
        });
        boolean done = seen[0] < limit;
        if (done && rev > finishedCompactRev) {
          finishedCompactRev = rev;
          backend.put(deletes, Bucket.META, FINISHED_COMPACT_REV, longBytes(rev));
        }
        backend.commit(deletes);
        return done ? null : java.util.Arrays.copyOf(last[0], last[0].length + 1);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Whether every compaction so far is physically done (for tests and the defragmenter). */
  boolean compactionFinished() {
    lock.readLock().lock();
    try {
      return finishedCompactRev >= compactRev;
    } finally {
      lock.readLock().unlock();
    }
  }

  // ---------------------------------------------------------------- for the watchable store

  long committedRevision() {
    return committedRev;
  }

  long compactRevisionLocked() {
    return compactRev;
  }

  /**
   * Committed events from revision {@code from} on, in revision order, up to revision {@code to}
   * or, beyond {@code maxBytes} of values, up to the end of the revision where that was passed
   * (a revision's events are never split). Lock held.
   */
  EventWindow committedEvents(long from, long to, long maxBytes) {
    List<Event> out = new ArrayList<>();
    long[] last = {to};
    long[] bytes = {0};
    backend.scan(Bucket.KEY, new Revision(from, 0).toBytes(), new Revision(to + 1, 0).toBytes(),
        (k, v) -> {
          long main = Revision.fromBytes(k).main();
          if (bytes[0] > maxBytes && main != out.getLast().getKv().getModRevision()) {
            last[0] = main - 1;
            return false;
          }
          bytes[0] += v.length;
          out.add(Event.newBuilder()
              .setType(Revision.isTombstone(k) ? Event.EventType.DELETE : Event.EventType.PUT)
              .setKv(parse(v, KeyValue.parser())).build());
          return true;
        });
    return new EventWindow(out, last[0]);
  }

  /** Events of revisions up to {@code lastRevision}, all of them. */
  record EventWindow(List<Event> events, long lastRevision) {}

  /** The key's value just before {@code rev}, or null (absent, or compacted away). Lock held. */
  KeyValue previous(ByteString key, long rev) {
    if (rev - 1 < compactRev) {
      return null;
    }
    return current(key, rev - 1);
  }

  static ResponseHeader header(long revision) {
    return ResponseHeader.newBuilder().setRevision(revision).build();
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static <T> T parse(byte[] bytes, com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("backend holds an unreadable record: " + e.getMessage(), e);
    }
  }

  /** Stops the background work (watch sync, compaction); the caller closes the backend after. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      closed = true;
    } finally {
      lock.writeLock().unlock();
    }
    compactor.close();
    watchable.close();
  }
}
