package io.kvorum.raft;

import io.kvorum.raft.Storage.CompactedException;
import io.kvorum.raft.Storage.UnavailableException;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The log as the core sees it: the persisted part in {@link Storage}, followed by the {@link
 * Unstable} part the caller has yet to persist.
 *
 * <pre>
 *   snapshot | storage: firstIndex .. unstable.offset-1 | unstable: offset .. lastIndex
 *                         applied <= committed <= lastIndex
 * </pre>
 *
 * Invariants: {@code firstIndex - 1 <= applied <= committed <= lastIndex}; committed entries are
 * never truncated (a leader that tried would violate Raft §5.4, so it is an error, not a case).
 */
final class RaftLog {

  private final Storage storage;
  private final Unstable unstable;
  private final long maxNextEntriesSize;
  long committed;
  long applied;

  RaftLog(Storage storage, long maxNextEntriesSize) {
    this.storage = storage;
    this.maxNextEntriesSize = maxNextEntriesSize;
    long firstIndex = storage.firstIndex();
    long lastIndex = storage.lastIndex();
    this.unstable = new Unstable(lastIndex + 1);
    // The snapshot index is the last index known to be committed and applied.
    this.committed = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  /**
   * Appends {@code ents}, which follow the entry at {@code index} with term {@code logTerm}, if
   * that entry matches (Raft §5.3's consistency check), and advances the commit index to {@code
   * min(committed, index of the last new entry)}.
   *
   * @return the index of the last new entry, or -1 when the consistency check failed
   */
  long maybeAppend(long index, long logTerm, long committed, List<Entry> ents) {
    if (!matchTerm(index, logTerm)) {
      return -1;
    }
    long lastNewIndex = index + ents.size();
    long conflict = findConflict(ents);
    if (conflict != 0) {
      if (conflict <= this.committed) {
        throw new IllegalStateException(
            "raft: entry " + conflict + " conflicts with committed entry (committed " + this.committed
                + ")");
      }
      append(ents.subList((int) (conflict - (index + 1)), ents.size()));
    }
    commitTo(Math.min(committed, lastNewIndex));
    return lastNewIndex;
  }

  long append(List<Entry> ents) {
    if (ents.isEmpty()) {
      return lastIndex();
    }
    long after = ents.get(0).getIndex() - 1;
    if (after < committed) {
      throw new IllegalStateException(
          "raft: cannot append after index " + after + ", below committed " + committed);
    }
    unstable.truncateAndAppend(ents);
    return lastIndex();
  }

  /**
   * The index of the first entry of {@code ents} whose term differs from the entry at the same
   * index here (or that is new), or 0 when all of {@code ents} are already here.
   *
   * <p>Example: log terms [1,1,2] (indexes 1..3); ents (2,t1),(3,t3) conflict at 3.
   */
  long findConflict(List<Entry> ents) {
    for (Entry e : ents) {
      if (!matchTerm(e.getIndex(), e.getTerm())) {
        return e.getIndex();
      }
    }
    return 0;
  }

  /**
   * The largest index {@code <= index} whose term is {@code <= term} (or whose term cannot be
   * read any more). Used for fast backtracking: a follower that rejects an append at {@code
   * index} tells the leader where its log may still match, skipping a whole term per round trip
   * instead of one entry (Raft §5.3, the optimization at the end of the section).
   *
   * <p>Example: terms [1,1,1,4,4,5,5,5] (indexes 1..8), findConflictByTerm(8, 3) returns 3.
   */
  long[] findConflictByTerm(long index, long term) {
    for (; index > 0; index--) {
      long ourTerm;
      try {
        ourTerm = term(index);
      } catch (CompactedException | UnavailableException e) {
        return new long[] {index, 0};
      }
      if (ourTerm <= term) {
        return new long[] {index, ourTerm};
      }
    }
    return new long[] {0, 0};
  }

  boolean hasUnstableEntries() {
    return !unstable.entries().isEmpty();
  }

  List<Entry> unstableEntries() {
    return List.copyOf(unstable.entries());
  }

  /** Committed entries not applied yet, at most {@code maxNextEntriesSize} bytes of them. */
  List<Entry> nextCommittedEntries() {
    long off = Math.max(applied + 1, firstIndex());
    if (committed + 1 > off) {
      return List.copyOf(slice(off, committed + 1, maxNextEntriesSize));
    }
    return List.of();
  }

  boolean hasNextCommittedEntries() {
    return committed + 1 > Math.max(applied + 1, firstIndex());
  }

  Snapshot unstableSnapshot() {
    return unstable.snapshot();
  }

  Snapshot snapshot() {
    Snapshot s = unstable.snapshot();
    return s != null ? s : storage.snapshot();
  }

  long firstIndex() {
    long i = unstable.maybeFirstIndex();
    return i >= 0 ? i : storage.firstIndex();
  }

  long lastIndex() {
    long i = unstable.maybeLastIndex();
    return i >= 0 ? i : storage.lastIndex();
  }

  long lastTerm() {
    return term(lastIndex());
  }

  void commitTo(long toCommit) {
    if (committed < toCommit) {
      if (lastIndex() < toCommit) {
        throw new IllegalStateException(
            "raft: commit index " + toCommit + " is out of range [last index " + lastIndex()
                + "]; was the log lost or corrupted?");
      }
      committed = toCommit;
    }
  }

  void appliedTo(long i) {
    if (i == 0) {
      return;
    }
    if (committed < i || i < applied) {
      throw new IllegalStateException(
          "raft: applied index " + i + " is out of range [prev applied " + applied + ", committed "
              + committed + "]");
    }
    applied = i;
  }

  void stableTo(long i, long t) {
    unstable.stableTo(i, t);
  }

  void stableSnapTo(long i) {
    unstable.stableSnapTo(i);
  }

  /**
   * The term of entry {@code i}, which may be the snapshot's index.
   *
   * @throws CompactedException when {@code i} is below the snapshot index
   * @throws UnavailableException when {@code i} is past the last index
   */
  long term(long i) {
    long dummyIndex = firstIndex() - 1;
    if (i < dummyIndex) {
      throw new CompactedException(i, dummyIndex);
    }
    if (i > lastIndex()) {
      throw new UnavailableException(i, lastIndex());
    }
    return storedTerm(i);
  }

  /** The term of {@code i}, or 0 when it is compacted or not there. */
  long termOrZero(long i) {
    return hasTerm(i) ? storedTerm(i) : 0;
  }

  /**
   * Whether the term of {@code i} is known here: from the snapshot's index to the last one.
   * {@link #termOrZero} and {@link #matchTerm} check this instead of catching {@link #term}'s
   * exceptions: a follower asks it of every entry it is sent ({@link #findConflict}), the new ones
   * are past its last index, and an exception per entry (with its stack trace) was 3 % of a
   * follower's allocation under load.
   */
  private boolean hasTerm(long i) {
    return i >= firstIndex() - 1 && i <= lastIndex();
  }

  /** Caller checked {@link #hasTerm}. */
  private long storedTerm(long i) {
    long t = unstable.maybeTerm(i);
    return t >= 0 ? t : storage.term(i);
  }

  /** Entries from {@code i} to the end, at most {@code maxSize} bytes (at least one). */
  List<Entry> entries(long i, long maxSize) {
    if (i > lastIndex()) {
      return List.of();
    }
    return slice(i, lastIndex() + 1, maxSize);
  }

  /**
   * Whether a candidate whose last entry is {@code (lastIndex, term)} is at least as up to date
   * as this log (Raft §5.4.1): later last term wins; equal terms compare length.
   */
  boolean isUpToDate(long lastIndex, long term) {
    long ourTerm = lastTerm();
    return term > ourTerm || (term == ourTerm && lastIndex >= lastIndex());
  }

  boolean matchTerm(long i, long term) {
    return hasTerm(i) && storedTerm(i) == term;
  }

  /**
   * Commits up to {@code maxIndex} if that entry is from {@code term}: a leader only counts
   * replicas for entries of its own term (Raft §5.4.2); older entries commit with them.
   */
  boolean maybeCommit(long maxIndex, long term) {
    if (maxIndex > committed && termOrZero(maxIndex) == term) {
      commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Replaces the whole log by {@code s}; everything up to its index is committed. */
  void restore(Snapshot s) {
    committed = s.getMetadata().getIndex();
    unstable.restore(s);
  }

  /**
   * Entries {@code [lo, hi)}, at most {@code maxSize} bytes but at least one.
   *
   * @throws CompactedException when {@code lo} was compacted away
   */
  List<Entry> slice(long lo, long hi, long maxSize) {
    checkOutOfBounds(lo, hi);
    if (lo == hi) {
      return List.of();
    }
    List<Entry> ents = List.of();
    long offset = unstable.offset();
    if (lo < offset) {
      List<Entry> stored;
      try {
        stored = storage.entries(lo, Math.min(hi, offset), maxSize);
      } catch (UnavailableException e) {
        throw new IllegalStateException(
            "raft: entries [" + lo + ", " + Math.min(hi, offset) + ") missing from storage", e);
      }
      // A short read means the size limit was reached: do not add unstable entries after it.
      if (stored.size() < Math.min(hi, offset) - lo) {
        return stored;
      }
      ents = stored;
    }
    if (hi > offset) {
      List<Entry> fromUnstable = unstable.slice(Math.max(lo, offset), hi);
      if (ents.isEmpty()) {
        ents = fromUnstable;
      } else {
        List<Entry> combined = new ArrayList<>(ents.size() + fromUnstable.size());
        combined.addAll(ents);
        combined.addAll(fromUnstable);
        ents = combined;
      }
    }
    return Entries.limitSize(ents, maxSize);
  }

  private void checkOutOfBounds(long lo, long hi) {
    if (lo > hi) {
      throw new IllegalStateException("raft: invalid slice " + lo + " > " + hi);
    }
    long fi = firstIndex();
    if (lo < fi) {
      throw new CompactedException(lo, fi - 1);
    }
    long upper = lastIndex() + 1;
    if (hi > upper) {
      throw new IllegalStateException(
          "raft: slice [" + lo + ", " + hi + ") out of bounds [" + fi + ", " + upper + ")");
    }
  }

  @Override
  public String toString() {
    return "committed="
        + committed
        + ", applied="
        + applied
        + ", unstable.offset="
        + unstable.offset()
        + ", unstable.entries="
        + unstable.entries().size();
  }
}
