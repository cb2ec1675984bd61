package io.kvorum.storage.mvcc;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The revisions of one key, as etcd's {@code keyIndex}: a list of generations. A generation is
 * the life of the key from its creation to its deletion; a deletion (tombstone) ends the current
 * generation and starts an empty one.
 *
 * <p>Example (etcd's): put at 1, 2, 3; delete at 4; put at 5, 6; delete at 7:
 * <pre>
 *   generations: {1.0, 2.0, 3.0, 4.0(t)}  {5.0, 6.0, 7.0(t)}  {empty}
 * </pre>
 * {@code get(3)} is 3.0 with version 3 and create revision 1; {@code get(4)} finds nothing (the
 * key is deleted at 4); {@code get(6)} is 6.0, version 2, created at 5.
 *
 * <p>Compacting at 5 keeps, per generation, the latest revision at or below 5, and drops whole
 * generations that ended (tombstone) at or below 5: the example becomes {@code {5.0, 6.0, 7.0(t)}
 * {empty}}. Compacting at 7 then leaves only the empty generation: the key index is removed.
 * Not thread-safe: the {@link TreeIndex} owner serialises access.
 */
final class KeyIndex {
  /**
   * One life of a key. {@code version} counts the puts of this life, including compacted ones.
   * Its revisions are kept as {@code (main, sub)} pairs in one {@code long[]}, oldest first.
   *
   * <p>Why not a list of {@link Revision}s: key indexes live long and sit in the old generation,
   * and storing a new object's reference into one makes the next young collection scan that part
   * of the old generation (a dirty card) and copy the object. A put stored two (the revision into
   * the list and into the index's newest, {@code modified}). Writing two longs into an array the index
   * already has dirties nothing; only a growing array does. Measured with 256 clients putting to
   * 100,000 keys (G1 {@code gc+phases}, medians per member): dirty cards per young pause 25-28
   * thousand before, 8-12 thousand after; the pause time spent scanning them 14-33 ms of worker
   * time before, 6-19 ms after. A revision also takes 16 bytes instead of an object and a
   * reference.
   */
  static final class Generation {
    long version;
    Revision created;
    private long[] revs = new long[4];
    private int count;

    boolean isEmpty() {
      return count == 0;
    }

    int size() {
      return count;
    }

    long main(int i) {
      return revs[2 * i];
    }

    Revision rev(int i) {
      return new Revision(revs[2 * i], revs[2 * i + 1]);
    }

    long lastMain() {
      return main(count - 1);
    }

    void add(long main, long sub) {
      if (2 * count == revs.length) {
        revs = Arrays.copyOf(revs, revs.length * 2);
      }
      revs[2 * count] = main;
      revs[2 * count + 1] = sub;
      count++;
    }

    /** Forgets the oldest {@code n} revisions; an array left mostly empty is shrunk. */
    void dropFirst(int n) {
      System.arraycopy(revs, 2 * n, revs, 0, 2 * (count - n));
      count -= n;
      if (revs.length > 8 && 8 * count <= revs.length) {
        revs = Arrays.copyOf(revs, Math.max(4, 4 * count));
      }
    }

    /** The index of the newest revision with {@code main <= atRev}, or -1. */
    int newestAtOrBelow(long atRev) {
      for (int i = count - 1; i >= 0; i--) {
        if (main(i) <= atRev) {
          return i;
        }
      }
      return -1;
    }

    boolean contains(Revision rev) {
      for (int i = 0; i < count; i++) {
        if (revs[2 * i] == rev.main() && revs[2 * i + 1] == rev.sub()) {
          return true;
        }
      }
      return false;
    }

    private int compareWith(int i, Revision rev) {
      int c = Long.compare(revs[2 * i], rev.main());
      return c != 0 ? c : Long.compare(revs[2 * i + 1], rev.sub());
    }
  }

  /** What a key was at some revision: its revision then, its creation, its version. */
  record Found(Revision modified, Revision created, long version) {}

  final ByteString key;
  /** The newest revision, as two longs for the reason {@link Generation} gives. */
  private long modifiedMain;
  private long modifiedSub;
  final List<Generation> generations = new ArrayList<>();

  KeyIndex(ByteString key) {
    this.key = key;
  }

  void put(Revision rev) {
    if (rev.main() < modifiedMain || rev.main() == modifiedMain && rev.sub() <= modifiedSub) {
      throw new IllegalStateException("revision " + rev + " of key " + key.toStringUtf8() + " is not after "
          + modifiedMain + "_" + modifiedSub);
    }
    if (generations.isEmpty()) {
      generations.add(new Generation());
    }
    Generation g = generations.getLast();
    if (g.isEmpty()) {
      g.created = rev;
    }
    g.add(rev.main(), rev.sub());
    g.version++;
    modifiedMain = rev.main();
    modifiedSub = rev.sub();
  }

  /**
   * Rebuilding from the backend: records {@code rev}, the oldest revision of the key that is
   * left, whose value says when its generation was created and which version it is. Compaction
   * may have removed the earlier revisions of that first generation, so they cannot be counted.
   */
  void restore(Revision created, Revision rev, long version) {
    if (!generations.isEmpty()) {
      put(rev);
      return;
    }
    Generation g = new Generation();
    g.created = created;
    g.version = version;
    g.add(rev.main(), rev.sub());
    generations.add(g);
    modifiedMain = rev.main();
    modifiedSub = rev.sub();
  }

  /** Records a deletion at {@code rev}; the key must be alive. */
  void tombstone(Revision rev) {
    if (generations.isEmpty() || generations.getLast().isEmpty()) {
      throw new IllegalStateException("tombstone on a deleted key " + key.toStringUtf8());
    }
    put(rev);
    generations.add(new Generation());
  }

  /** The key as of {@code atRev}, or null when it did not exist then. */
  Found get(long atRev) {
    Generation g = findGeneration(atRev);
    if (g == null || g.isEmpty()) {
      return null;
    }
    int n = g.newestAtOrBelow(atRev);
    if (n < 0) {
      return null;
    }
    return new Found(g.rev(n), g.created, g.version - (g.size() - n - 1));
  }

  /** The generation alive at {@code rev}, or null (deleted or not yet created then). */
  private Generation findGeneration(long rev) {
    int last = generations.size() - 1;
    for (int i = last; i >= 0; i--) {
      Generation g = generations.get(i);
      if (g.isEmpty()) {
        continue;
      }
      if (i != last && g.lastMain() <= rev) {
        return null; // the generation ended (tombstone) at or before rev
      }
      if (g.main(0) <= rev) {
        return g;
      }
    }
    return null;
  }

  /**
   * Drops history at or below {@code atRev}: per generation alive at {@code atRev}, its newest
   * revision at or below {@code atRev} stays (the backend keeps exactly the revisions the index
   * still has, see {@link #contains}); generations that ended at or below it go.
   */
  void compact(long atRev) {
    int genIdx = 0;
    while (genIdx < generations.size() - 1
        && generations.get(genIdx).lastMain() <= atRev) {
      genIdx++;
    }
    Generation g = generations.get(genIdx);
    int revIdx = g.newestAtOrBelow(atRev);
    if (!g.isEmpty()) {
      if (revIdx > 0) {
        g.dropFirst(revIdx);
      }
      if (g.size() == 1 && genIdx != generations.size() - 1) {
        genIdx++; // only its tombstone is left: the whole generation goes
      }
    }
    generations.subList(0, genIdx).clear();
  }

  /** Whether {@code rev} is still one of this key's revisions. */
  boolean contains(Revision rev) {
    for (Generation g : generations) {
      if (!g.isEmpty() && g.compareWith(0, rev) <= 0 && g.compareWith(g.size() - 1, rev) >= 0) {
        return g.contains(rev);
      }
    }
    return false;
  }

  boolean isEmpty() {
    return generations.size() == 1 && generations.getFirst().isEmpty();
  }
}
