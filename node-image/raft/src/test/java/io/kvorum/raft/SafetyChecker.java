package io.kvorum.raft;

import java.util.HashMap;
import java.util.Map;

/**
 * The Raft safety properties (Figure 3 of the paper), checked incrementally as members of a
 * simulation persist, commit and apply:
 *
 * <ul>
 *   <li><b>Election safety</b>: at most one leader per term.
 *   <li><b>Log matching</b>: two logs with an entry of the same index and term are identical up
 *       to it. Each member's log is summarized as a chain of prefix hashes; every (index, term)
 *       ever persisted must always come with the same prefix hash.
 *   <li><b>Leader completeness</b>: a leader of term T holds every entry committed in a term
 *       before T. The committed log is kept as one canonical chain.
 *   <li><b>State machine safety</b>: no two members apply different entries at one index: the
 *       state after each index (a running hash) is the same everywhere.
 * </ul>
 */
final class SafetyChecker {

  private record IndexTerm(long index, long term) {}

  private final Map<Long, Long> leaderOfTerm = new HashMap<>();
  private final Map<IndexTerm, Long> prefixOf = new HashMap<>();
  /** The committed log: prefix hash and term by index, from 1; slot 0 is the empty prefix. */
  private final LongList committedPrefix = new LongList();
  private final LongList committedTerm = new LongList();
  private final LongList stateAfter = new LongList();

  SafetyChecker() {
    committedPrefix.add(0);
    committedTerm.add(0);
    stateAfter.add(0);
  }

  void onLeader(long id, long term) {
    Long other = leaderOfTerm.putIfAbsent(term, id);
    if (other != null && other != id) {
      throw new AssertionError(
          "election safety: " + id + " and " + other + " both lead term " + term);
    }
  }

  /** Registers (index, term) with the prefix hash of the log up to it. */
  void onPersisted(long id, long index, long term, long prefix) {
    Long known = prefixOf.putIfAbsent(new IndexTerm(index, term), prefix);
    if (known != null && known != prefix) {
      throw new AssertionError(
          "log matching: member " + id + " holds entry " + index + "/" + term
              + " after a different prefix than another member");
    }
  }

  /** The prefix hash of an entry someone persisted (for a snapshot's last entry), or null. */
  Long prefixOf(long index, long term) {
    return index == 0 ? Long.valueOf(0) : prefixOf.get(new IndexTerm(index, term));
  }

  /** Member {@code id} considers entry {@code index} (term, prefix) committed. */
  void onCommitted(long id, long index, long term, long prefix) {
    if (index < committedPrefix.size()) {
      if (committedPrefix.get((int) index) != prefix) {
        throw new AssertionError(
            "state machine safety: member " + id + " committed a different entry at " + index);
      }
      return;
    }
    if (index != committedPrefix.size()) {
      throw new AssertionError("checker: commit gap at " + index + " for member " + id);
    }
    committedPrefix.add(prefix);
    committedTerm.add(term);
  }

  long committedSize() {
    return committedPrefix.size();
  }

  /**
   * A leader of {@code term} must hold the last entry committed in an earlier term; {@code
   * prefixAt} answers the leader's prefix hash at an index (or null when outside its log).
   */
  void checkLeaderCompleteness(long id, long term, long leaderBase,
      java.util.function.LongFunction<Long> prefixAt) {
    int c = committedTerm.size() - 1;
    while (c > 0 && committedTerm.get(c) >= term) {
      c--;
    }
    if (c <= leaderBase) {
      return; // Covered by the leader's snapshot, itself checked as committed.
    }
    Long p = prefixAt.apply(c);
    if (p == null || p != committedPrefix.get(c)) {
      throw new AssertionError(
          "leader completeness: leader " + id + " of term " + term + " lacks committed entry "
              + c + "/" + committedTerm.get(c));
    }
  }

  /** Member {@code id} reached state {@code hash} after applying index {@code index}. */
  void onApplied(long id, long index, long hash) {
    if (index < stateAfter.size()) {
      long known = stateAfter.get((int) index);
      if (known == Long.MIN_VALUE) {
        stateAfter.set((int) index, hash);
      } else if (known != hash) {
        throw new AssertionError(
            "state machine safety: member " + id + " applied a different entry at " + index);
      }
      return;
    }
    while (stateAfter.size() < index) {
      stateAfter.add(Long.MIN_VALUE); // Unknown: members may skip indexes through snapshots.
    }
    stateAfter.add(hash);
  }

  /** A growable list of longs. */
  static final class LongList {
    private long[] a = new long[64];
    private int n;

    void add(long v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    long get(int i) {
      return a[i];
    }

    void set(int i, long v) {
      a[i] = v;
    }

    int size() {
      return n;
    }

    void truncate(int size) {
      n = size;
    }
  }
}
