package io.kvorum.storage.mvcc;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
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
  /** One life of a key. {@code version} counts the puts of this life, including compacted ones. */
  static final class Generation {
    long version;
    Revision created;
    final List<Revision> revs = new ArrayList<>();

    boolean isEmpty() {
      return revs.isEmpty();
    }

    /** The index of the newest revision with {@code main <= atRev}, or -1. */
    int newestAtOrBelow(long atRev) {
      for (int i = revs.size() - 1; i >= 0; i--) {
        if (revs.get(i).main() <= atRev) {
          return i;
        }
      }
      return -1;
    }
  }

  /** What a key was at some revision: its revision then, its creation, its version. */
  record Found(Revision modified, Revision created, long version) {}

  final ByteString key;
  Revision modified = new Revision(0, 0);
  final List<Generation> generations = new ArrayList<>();

  KeyIndex(ByteString key) {
    this.key = key;
  }

  void put(Revision rev) {
    if (rev.compareTo(modified) <= 0) {
      throw new IllegalStateException(
          "revision " + rev + " of key " + key.toStringUtf8() + " is not after " + modified);
    }
    if (generations.isEmpty()) {
      generations.add(new Generation());
    }
    Generation g = generations.getLast();
    if (g.isEmpty()) {
      g.created = rev;
    }
    g.revs.add(rev);
    g.version++;
    modified = rev;
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
    g.revs.add(rev);
    generations.add(g);
    modified = rev;
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
    return new Found(g.revs.get(n), g.created, g.version - (g.revs.size() - n - 1));
  }

  /** The generation alive at {@code rev}, or null (deleted or not yet created then). */
  private Generation findGeneration(long rev) {
    int last = generations.size() - 1;
    for (int i = last; i >= 0; i--) {
      Generation g = generations.get(i);
      if (g.isEmpty()) {
        continue;
      }
      if (i != last && g.revs.getLast().main() <= rev) {
        return null; // the generation ended (tombstone) at or before rev
      }
      if (g.revs.getFirst().main() <= rev) {
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
        && generations.get(genIdx).revs.getLast().main() <= atRev) {
      genIdx++;
    }
    Generation g = generations.get(genIdx);
    int revIdx = g.newestAtOrBelow(atRev);
    if (!g.isEmpty()) {
      if (revIdx > 0) {
        g.revs.subList(0, revIdx).clear();
      }
      if (g.revs.size() == 1 && genIdx != generations.size() - 1) {
        genIdx++; // only its tombstone is left: the whole generation goes
      }
    }
    generations.subList(0, genIdx).clear();
  }

  /** Whether {@code rev} is still one of this key's revisions. */
  boolean contains(Revision rev) {
    for (Generation g : generations) {
      if (!g.isEmpty() && g.revs.getFirst().compareTo(rev) <= 0
          && g.revs.getLast().compareTo(rev) >= 0) {
        return g.revs.contains(rev);
      }
    }
    return false;
  }

  boolean isEmpty() {
    return generations.size() == 1 && generations.getFirst().isEmpty();
  }
}
