package io.kvorum.raft;

import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The tail of the log that the caller has not persisted yet, plus at most one incoming snapshot.
 *
 * <p>Invariant: {@code entries.get(i)} has index {@code offset + i}; when a snapshot is held, the
 * entries (if any) directly follow it ({@code offset == snapshot.index + 1}). Example: offset 5,
 * entries [5, 6, 7]; {@link #stableTo(long, long) stableTo(6, t)} leaves offset 7, entries [7].
 */
final class Unstable {

  private Snapshot snapshot;
  private List<Entry> entries = new ArrayList<>();
  private long offset;

  Unstable(long offset) {
    this.offset = offset;
  }

  Snapshot snapshot() {
    return snapshot;
  }

  List<Entry> entries() {
    return entries;
  }

  long offset() {
    return offset;
  }

  /** The first index if only a snapshot tells it, or -1. */
  long maybeFirstIndex() {
    return snapshot != null ? snapshot.getMetadata().getIndex() + 1 : -1;
  }

  /** The last index held here (entries, else snapshot), or -1. */
  long maybeLastIndex() {
    if (!entries.isEmpty()) {
      return offset + entries.size() - 1;
    }
    return snapshot != null ? snapshot.getMetadata().getIndex() : -1;
  }

  /** The term of entry {@code i} if held here, or -1. */
  long maybeTerm(long i) {
    if (i < offset) {
      if (snapshot != null && snapshot.getMetadata().getIndex() == i) {
        return snapshot.getMetadata().getTerm();
      }
      return -1;
    }
    long last = maybeLastIndex();
    if (last < 0 || i > last) {
      return -1;
    }
    return entries.get((int) (i - offset)).getTerm();
  }

  /**
   * The caller persisted entries up to {@code i} (with term {@code t}). Ignored when the entry was
   * replaced meanwhile (its term differs), because the replacement still needs persisting.
   */
  void stableTo(long i, long t) {
    long gt = maybeTerm(i);
    if (gt == t && i >= offset) {
      entries = new ArrayList<>(entries.subList((int) (i + 1 - offset), entries.size()));
      offset = i + 1;
    }
  }

  void stableSnapTo(long i) {
    if (snapshot != null && snapshot.getMetadata().getIndex() == i) {
      snapshot = null;
    }
  }

  void restore(Snapshot s) {
    offset = s.getMetadata().getIndex() + 1;
    entries = new ArrayList<>();
    snapshot = s;
  }

  /**
   * Appends {@code ents}, first dropping any held entries at or after {@code ents[0].index} (they
   * conflicted with the leader).
   */
  void truncateAndAppend(List<Entry> ents) {
    long after = ents.get(0).getIndex();
    if (after == offset + entries.size()) {
      entries.addAll(ents);
    } else if (after <= offset) {
      // The log is being replaced from before the unstable part: the new entries start it.
      offset = after;
      entries = new ArrayList<>(ents);
    } else {
      List<Entry> kept = new ArrayList<>(entries.subList(0, (int) (after - offset)));
      kept.addAll(ents);
      entries = kept;
    }
  }

  /** Entries {@code [lo, hi)}, which must lie within {@code [offset, offset + size]}. */
  List<Entry> slice(long lo, long hi) {
    long upper = offset + entries.size();
    if (lo > hi || lo < offset || hi > upper) {
      throw new IllegalStateException(
          "raft: unstable slice [" + lo + ", " + hi + ") out of bounds [" + offset + ", " + upper
              + "]");
    }
    return entries.subList((int) (lo - offset), (int) (hi - offset));
  }
}
