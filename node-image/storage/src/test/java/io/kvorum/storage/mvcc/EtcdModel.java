package io.kvorum.storage.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.kvorum.storage.EtcdException;
import io.kvorum.storage.EtcdException.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * A deliberately naive model of etcd's KV semantics for the model-based test: the whole key
 * space is copied for every revision, so reading at a past revision is a map lookup. No index,
 * no backend, no sub revisions: if the store and this agree, the store's cleverness is right.
 */
final class EtcdModel {
  private static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();
  /** Key space after each revision. */
  private final TreeMap<Long, TreeMap<ByteString, KeyValue>> history = new TreeMap<>();
  private long rev = 1;
  private long compacted = -1;

  EtcdModel() {
    history.put(1L, new TreeMap<>(BYTES));
  }

  long revision() {
    return rev;
  }

  long compactRevision() {
    return compacted;
  }

  private static ResponseHeader header(long r) {
    return ResponseHeader.newBuilder().setRevision(r).build();
  }

  private static boolean inRange(ByteString k, ByteString key, ByteString end) {
    if (end.isEmpty()) {
      return k.equals(key);
    }
    boolean fromKey = end.size() == 1 && end.byteAt(0) == 0;
    return BYTES.compare(key, k) <= 0 && (fromKey || BYTES.compare(k, end) < 0);
  }

  RangeResponse range(RangeRequest r) {
    return range(r, history.lastEntry().getValue(), rev);
  }

  private RangeResponse range(RangeRequest r, TreeMap<ByteString, KeyValue> working, long cur) {
    if (r.getKey().isEmpty()) {
      throw new EtcdException(Kind.EMPTY_KEY);
    }
    if (r.getRevision() > cur) {
      throw new EtcdException(Kind.FUTURE_REV);
    }
    long at = r.getRevision() <= 0 ? cur : r.getRevision();
    if (at < compacted) {
      throw new EtcdException(Kind.COMPACTED);
    }
    TreeMap<ByteString, KeyValue> state = at == cur ? working : history.floorEntry(at).getValue();
    List<KeyValue> all = new ArrayList<>();
    for (KeyValue kv : state.values()) {
      if (inRange(kv.getKey(), r.getKey(), r.getRangeEnd())) {
        all.add(kv);
      }
    }
    RangeResponse.Builder b = RangeResponse.newBuilder().setHeader(header(cur)).setCount(all.size());
    if (r.getCountOnly()) {
      return b.build();
    }

    boolean fetchAll = r.getSortOrder() != RangeRequest.SortOrder.NONE
        || r.getMinModRevision() != 0 || r.getMaxModRevision() != 0
        || r.getMinCreateRevision() != 0 || r.getMaxCreateRevision() != 0;
    if (!fetchAll && r.getLimit() > 0 && all.size() > r.getLimit() + 1) {
      // etcd's quirk: a sort target without a sort order sorts only the first limit+1 keys
      all = all.subList(0, (int) r.getLimit() + 1);
    }
    List<KeyValue> kept = new ArrayList<>();
    for (KeyValue kv : all) {
      if ((r.getMinModRevision() == 0 || kv.getModRevision() >= r.getMinModRevision())
          && (r.getMaxModRevision() == 0 || kv.getModRevision() <= r.getMaxModRevision())
          && (r.getMinCreateRevision() == 0 || kv.getCreateRevision() >= r.getMinCreateRevision())
          && (r.getMaxCreateRevision() == 0 || kv.getCreateRevision() <= r.getMaxCreateRevision())) {
        kept.add(kv);
      }
    }
    Comparator<KeyValue> cmp = switch (r.getSortTarget()) {
      case KEY, UNRECOGNIZED -> Comparator.comparing(KeyValue::getKey, BYTES);
      case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
      case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
      case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
      case VALUE -> Comparator.comparing(KeyValue::getValue, BYTES);
    };
    if (r.getSortOrder() == RangeRequest.SortOrder.DESCEND) {
      kept.sort(cmp.reversed());
    } else if (r.getSortOrder() == RangeRequest.SortOrder.ASCEND
        || r.getSortTarget() != RangeRequest.SortTarget.KEY) {
      kept.sort(cmp);
    }
    if (r.getLimit() > 0 && kept.size() > r.getLimit()) {
      kept = kept.subList(0, (int) r.getLimit());
      b.setMore(true);
    }
    for (KeyValue kv : kept) {
      b.addKvs(r.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
    }
    return b.build();
  }

  PutResponse put(PutRequest p) {
    TreeMap<ByteString, KeyValue> next = new TreeMap<>(history.lastEntry().getValue());
    PutResponse resp = put(p, next, rev + 1);
    commit(next);
    return resp;
  }

  private PutResponse put(PutRequest p, TreeMap<ByteString, KeyValue> state, long newRev) {
    if (p.getKey().isEmpty()) {
      throw new EtcdException(Kind.EMPTY_KEY);
    }
    KeyValue prev = state.get(p.getKey());
    if ((p.getIgnoreValue() || p.getIgnoreLease()) && prev == null) {
      throw new EtcdException(Kind.KEY_NOT_FOUND);
    }
    KeyValue kv = KeyValue.newBuilder().setKey(p.getKey())
        .setValue(p.getIgnoreValue() ? prev.getValue() : p.getValue())
        .setCreateRevision(prev == null ? newRev : prev.getCreateRevision())
        .setModRevision(newRev)
        .setVersion(prev == null ? 1 : prev.getVersion() + 1)
        .setLease(p.getIgnoreLease() ? prev.getLease() : p.getLease())
        .build();
    state.put(p.getKey(), kv);
    PutResponse.Builder b = PutResponse.newBuilder().setHeader(header(newRev));
    if (p.getPrevKv() && prev != null) {
      b.setPrevKv(prev);
    }
    return b.build();
  }

  DeleteRangeResponse delete(DeleteRangeRequest d) {
    TreeMap<ByteString, KeyValue> next = new TreeMap<>(history.lastEntry().getValue());
    DeleteRangeResponse resp = delete(d, next, rev + 1, false);
    if (resp.getDeleted() > 0) {
      commit(next);
    }
    return resp;
  }

  private DeleteRangeResponse delete(DeleteRangeRequest d, TreeMap<ByteString, KeyValue> state,
      long newRev, boolean earlierChanges) {
    DeleteRangeResponse.Builder b = DeleteRangeResponse.newBuilder();
    List<ByteString> doomed = new ArrayList<>();
    for (KeyValue kv : state.values()) {
      if (inRange(kv.getKey(), d.getKey(), d.getRangeEnd())) {
        doomed.add(kv.getKey());
        if (d.getPrevKv()) {
          b.addPrevKvs(kv);
        }
      }
    }
    doomed.forEach(state::remove);
    boolean changed = !doomed.isEmpty() || earlierChanges;
    return b.setDeleted(doomed.size()).setHeader(header(changed ? newRev : newRev - 1)).build();
  }

  TxnResponse txn(TxnRequest t) {
    checkDuplicates(t.getSuccessList());
    checkDuplicates(t.getFailureList());
    TreeMap<ByteString, KeyValue> before = history.lastEntry().getValue();
    TreeMap<ByteString, KeyValue> next = new TreeMap<>(before);
    boolean[] changed = {false};
    TxnResponse.Builder resp = txn(t, before, next, changed);
    if (changed[0]) {
      commit(next);
    }
    return resp.setHeader(header(rev)).build();
  }

  /** Runs a txn: compares see {@code before}, ops change {@code state} in order. */
  private TxnResponse.Builder txn(TxnRequest t, TreeMap<ByteString, KeyValue> before,
      TreeMap<ByteString, KeyValue> state, boolean[] changed) {
    boolean ok = true;
    for (Compare c : t.getCompareList()) {
      ok &= holds(c, before);
    }
    List<RequestOp> ops = ok ? t.getSuccessList() : t.getFailureList();
    precheck(ops, before, ok, t);
    TxnResponse.Builder resp = TxnResponse.newBuilder().setSucceeded(ok);
    long newRev = rev + 1;
    for (RequestOp op : ops) {
      ResponseOp.Builder r = ResponseOp.newBuilder();
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> r.setResponseRange(
            range(op.getRequestRange(), state, changed[0] ? newRev : rev));
        case REQUEST_PUT -> {
          r.setResponsePut(put(op.getRequestPut(), state, newRev));
          changed[0] = true;
        }
        case REQUEST_DELETE_RANGE -> {
          DeleteRangeResponse d = delete(op.getRequestDeleteRange(), state, newRev, changed[0]);
          changed[0] |= d.getDeleted() > 0;
          r.setResponseDeleteRange(d);
        }
        case REQUEST_TXN -> r.setResponseTxn(txn(op.getRequestTxn(), before, state, changed)
            .setHeader(ResponseHeader.getDefaultInstance()));
        case REQUEST_NOT_SET -> { }
      }
      resp.addResponses(r);
    }
    return resp;
  }

  /** Failures etcd detects before running any op of the chosen branches. */
  private void precheck(List<RequestOp> ops, TreeMap<ByteString, KeyValue> before, boolean ok,
      TxnRequest t) {
    for (RequestOp op : ops) {
      if (op.hasRequestRange()) {
        long r = op.getRequestRange().getRevision();
        if (r > rev) {
          throw new EtcdException(Kind.FUTURE_REV);
        }
        if (r > 0 && r < compacted) {
          throw new EtcdException(Kind.COMPACTED);
        }
      }
      if (op.hasRequestPut()) {
        PutRequest p = op.getRequestPut();
        if ((p.getIgnoreValue() || p.getIgnoreLease()) && !before.containsKey(p.getKey())) {
          throw new EtcdException(Kind.KEY_NOT_FOUND);
        }
      }
      if (op.hasRequestTxn()) {
        TxnRequest n = op.getRequestTxn();
        boolean nok = true;
        for (Compare c : n.getCompareList()) {
          nok &= holds(c, before);
        }
        precheck(nok ? n.getSuccessList() : n.getFailureList(), before, nok, n);
      }
    }
  }

  private static boolean holds(Compare c, TreeMap<ByteString, KeyValue> state) {
    List<KeyValue> kvs = new ArrayList<>();
    for (KeyValue kv : state.values()) {
      if (inRange(kv.getKey(), c.getKey(), c.getRangeEnd())) {
        kvs.add(kv);
      }
    }
    if (kvs.isEmpty()) {
      if (c.getTarget() == Compare.CompareTarget.VALUE) {
        return false;
      }
      kvs.add(KeyValue.getDefaultInstance());
    }
    for (KeyValue kv : kvs) {
      int cmp = switch (c.getTarget()) {
        case VERSION -> Long.compare(kv.getVersion(), c.getVersion());
        case CREATE -> Long.compare(kv.getCreateRevision(), c.getCreateRevision());
        case MOD -> Long.compare(kv.getModRevision(), c.getModRevision());
        case VALUE -> BYTES.compare(kv.getValue(), c.getValue());
        case UNRECOGNIZED -> throw new AssertionError();
      };
      boolean ok = switch (c.getResult()) {
        case EQUAL -> cmp == 0;
        case NOT_EQUAL -> cmp != 0;
        case GREATER -> cmp > 0;
        case LESS -> cmp < 0;
        case UNRECOGNIZED -> throw new AssertionError();
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Writes per branch, recursively: a key put twice, or put and deleted, is a duplicate. */
  private static void checkDuplicates(List<RequestOp> ops) {
    writes(ops);
  }

  private record Writes(Set<ByteString> puts, List<DeleteRangeRequest> dels) {}

  private static Writes writes(List<RequestOp> ops) {
    List<DeleteRangeRequest> dels = new ArrayList<>();
    for (RequestOp op : ops) {
      if (op.hasRequestDeleteRange()) {
        dels.add(op.getRequestDeleteRange());
      }
    }
    Set<ByteString> puts = new HashSet<>();
    for (RequestOp op : ops) {
      if (op.hasRequestTxn()) {
        Writes a = writes(op.getRequestTxn().getSuccessList());
        Writes b = writes(op.getRequestTxn().getFailureList());
        for (ByteString k : a.puts) {
          dup(puts.contains(k) || deleted(dels, k));
          puts.add(k);
        }
        for (ByteString k : b.puts) {
          dup((puts.contains(k) && !a.puts.contains(k)) || deleted(dels, k));
          puts.add(k);
        }
        dels.addAll(a.dels);
        dels.addAll(b.dels);
      }
    }
    for (RequestOp op : ops) {
      if (op.hasRequestPut()) {
        ByteString k = op.getRequestPut().getKey();
        dup(puts.contains(k) || deleted(dels, k));
        puts.add(k);
      }
    }
    return new Writes(puts, dels);
  }

  private static boolean deleted(List<DeleteRangeRequest> dels, ByteString k) {
    for (DeleteRangeRequest d : dels) {
      if (inRange(k, d.getKey(), d.getRangeEnd())) {
        return true;
      }
    }
    return false;
  }

  private static void dup(boolean isDuplicate) {
    if (isDuplicate) {
      throw new EtcdException(Kind.DUPLICATE_KEY);
    }
  }

  void compact(long at) {
    if (at <= compacted) {
      throw new EtcdException(Kind.COMPACTED);
    }
    if (at > rev) {
      throw new EtcdException(Kind.FUTURE_REV);
    }
    compacted = at;
    // states strictly below the compaction are unreadable; keep the one in force at it
    history.headMap(history.floorKey(at), false).clear();
  }

  private void commit(TreeMap<ByteString, KeyValue> next) {
    rev++;
    history.put(rev, next);
  }
}
