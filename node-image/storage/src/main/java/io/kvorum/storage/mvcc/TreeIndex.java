package io.kvorum.storage.mvcc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The in-memory index of every key, ordered by unsigned bytes (etcd's {@code treeIndex}). It maps
 * keys to {@link KeyIndex}es; the values live in the backend, keyed by revision. Rebuilt on start
 * from the backend. Not thread-safe: {@link MvccStore} guards it with its lock.
 *
 * <p>Ranges follow etcd: {@code end == null} is the single key {@code key}; an empty {@code end}
 * is every key {@code >= key} (a client's {@code range_end = "\0"}); otherwise {@code [key, end)}.
 *
 * <p>The tree is keyed by byte arrays, compared with {@link Arrays#compareUnsigned(byte[],
 * byte[])} (the same order as {@link io.kvorum.storage.KeyOrder}). A lookup compares the key with
 * about 17 others. Through {@code ByteBuffer} views of {@code ByteString}s that was two
 * allocations per side per comparison, and with 256 clients putting 256-byte keys lookups were a
 * third of the samples of a follower's Raft thread (JFR). {@code KeyOrder} no longer allocates,
 * but it still finds each string's array per comparison: on 100,000 keys of 256 bytes, 100,000
 * puts and gets took 200-290 ms on an array tree against 250-340 ms on a {@code ByteString} tree
 * with {@code KeyOrder}, so the looked-up key is copied once instead. Each {@link KeyIndex} wraps
 * its tree key without copying, so a key's bytes are held once.
 */
final class TreeIndex {
  private final NavigableMap<byte[], KeyIndex> tree = new TreeMap<>(Arrays::compareUnsigned);

  /** etcd's {@code mkGteRange}: absent end is one key, {@code "\0"} (or empty) is "to the end". */
  static ByteString rangeEnd(ByteString end) {
    if (end.isEmpty()) {
      return null;
    }
    if (end.size() == 1 && end.byteAt(0) == 0) {
      return ByteString.EMPTY;
    }
    return end;
  }

  /** Forgets every key, before a rebuild from another backend. */
  void clear() {
    tree.clear();
  }

  /**
   * Adds a put of {@code key} at {@code rev} to its history, with one lookup.
   *
   * @return what the key was just before it (at {@code rev.main()}, so an earlier put in the same
   *     txn counts), or null if it was not alive
   */
  KeyIndex.Found put(ByteString key, Revision rev) {
    KeyIndex ki = indexOf(key);
    KeyIndex.Found before = ki.get(rev.main());
    ki.put(rev);
    return before;
  }

  /** Rebuilding from the backend; see {@link KeyIndex#restore}. */
  void restore(ByteString key, Revision rev, long createRevision, long version) {
    indexOf(key).restore(new Revision(createRevision, 0), rev, version);
  }

  private KeyIndex indexOf(ByteString key) {
    return tree.computeIfAbsent(key.toByteArray(), k -> new KeyIndex(UnsafeByteOperations.unsafeWrap(k)));
  }

  void tombstone(ByteString key, Revision rev) {
    KeyIndex ki = find(key);
    if (ki == null) {
      throw new IllegalStateException("tombstone on unknown key " + key.toStringUtf8());
    }
    ki.tombstone(rev);
  }

  KeyIndex.Found get(ByteString key, long atRev) {
    KeyIndex ki = find(key);
    return ki == null ? null : ki.get(atRev);
  }

  /** Calls {@code visit} with each key alive at {@code atRev} in range, in key order. */
  void visit(ByteString key, ByteString end, long atRev, Consumer<Alive> visit) {
    for (KeyIndex ki : slice(key, end)) {
      KeyIndex.Found f = ki.get(atRev);
      if (f != null) {
        visit.accept(new Alive(ki.key, f));
      }
    }
  }

  /** Keys alive at {@code atRev} in range, in key order. */
  List<Alive> alive(ByteString key, ByteString end, long atRev) {
    List<Alive> out = new ArrayList<>();
    visit(key, end, atRev, out::add);
    return out;
  }

  /**
   * The first {@code limit} keys alive at {@code atRev} in range (all when {@code limit <= 0}),
   * and how many there are in total (etcd counts them all, so a client can page).
   */
  Page page(ByteString key, ByteString end, long atRev, int limit) {
    List<Alive> out = new ArrayList<>();
    int total = 0;
    for (KeyIndex ki : slice(key, end)) {
      KeyIndex.Found f = ki.get(atRev);
      if (f != null) {
        total++;
        if (limit <= 0 || out.size() < limit) {
          out.add(new Alive(ki.key, f));
        }
      }
    }
    return new Page(out, total);
  }

  record Page(List<Alive> keys, int total) {}

  /** A key alive at some revision, with what the index knows about it then. */
  record Alive(ByteString key, KeyIndex.Found found) {}

  private KeyIndex find(ByteString key) {
    return tree.get(key.toByteArray());
  }

  private Iterable<KeyIndex> slice(ByteString key, ByteString end) {
    if (end == null) {
      KeyIndex ki = find(key);
      return ki == null ? List.of() : List.of(ki);
    }
    byte[] from = key.toByteArray();
    if (end.isEmpty()) {
      return tree.tailMap(from, true).values();
    }
    byte[] to = end.toByteArray();
    if (Arrays.compareUnsigned(from, to) >= 0) {
      return List.of();
    }
    return tree.subMap(from, true, to, false).values();
  }

  /** Compacts every key at {@code atRev}, forgetting keys with no history left. */
  void compact(long atRev) {
    Iterator<KeyIndex> it = tree.values().iterator();
    while (it.hasNext()) {
      KeyIndex ki = it.next();
      ki.compact(atRev);
      if (ki.isEmpty()) {
        it.remove();
      }
    }
  }

  /** Whether the backend record of {@code key} at {@code rev} is still part of the history. */
  boolean contains(ByteString key, Revision rev) {
    KeyIndex ki = find(key);
    return ki != null && ki.contains(rev);
  }

  /** Whether {@code key} exists now (its newest generation is not ended). */
  boolean isAlive(ByteString key) {
    KeyIndex ki = find(key);
    return ki != null && !ki.generations.isEmpty() && !ki.generations.getLast().isEmpty();
  }

  int size() {
    return tree.size();
  }
}
