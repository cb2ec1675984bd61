package io.kvorum.raft;

import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Snapshot;
import io.kvorum.raft.pb.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Storage} in memory, for tests and simulations: what a real member keeps in its WAL and
 * snapshot files. The caller persists a {@link Ready} into it with {@link #applySnapshot}, {@link
 * #append} and {@link #setHardState}, and compacts it with {@link #createSnapshot} and {@link
 * #compact}. Not thread-safe: use it from the thread that drives the {@link RawNode}.
 *
 * <p>Layout: {@code ents.get(0)} is a dummy entry carrying the snapshot's index and term; real
 * entries follow, so entry {@code i} sits at {@code ents.get(i - snapshotIndex)}.
 */
public final class MemoryStorage implements Storage {

  private HardState hardState = HardState.getDefaultInstance();
  private Snapshot snapshot;
  private List<Entry> ents = new ArrayList<>();

  /** An empty log with an empty configuration (a member that will bootstrap or join). */
  public MemoryStorage() {
    this(ConfState.getDefaultInstance());
  }

  /**
   * An empty log whose configuration starts as {@code initial}, as if a snapshot at index 0 held
   * it. Convenient for tests where every member starts with the same configuration; a member
   * added later cannot learn this configuration from the log, so clusters that grow should use
   * {@link RawNode#bootstrap} instead.
   */
  public MemoryStorage(ConfState initial) {
    this.snapshot =
        Snapshot.newBuilder()
            .setMetadata(SnapshotMetadata.newBuilder().setConfState(initial))
            .build();
    ents.add(Entry.getDefaultInstance());
  }

  @Override
  public InitialState initialState() {
    return new InitialState(hardState, snapshot.getMetadata().getConfState());
  }

  public HardState hardState() {
    return hardState;
  }

  public void setHardState(HardState hardState) {
    this.hardState = hardState;
  }

  @Override
  public List<Entry> entries(long lo, long hi, long maxBytes) {
    long offset = ents.get(0).getIndex();
    if (lo <= offset) {
      throw new CompactedException(lo, offset);
    }
    if (hi > lastIndex() + 1) {
      throw new UnavailableException(hi - 1, lastIndex());
    }
    if (lo >= hi) {
      return List.of();
    }
    List<Entry> slice = ents.subList((int) (lo - offset), (int) (hi - offset));
    return List.copyOf(Entries.limitSize(slice, maxBytes));
  }

  @Override
  public long term(long index) {
    long offset = ents.get(0).getIndex();
    if (index < offset) {
      throw new CompactedException(index, offset);
    }
    if (index - offset >= ents.size()) {
      throw new UnavailableException(index, lastIndex());
    }
    return ents.get((int) (index - offset)).getTerm();
  }

  @Override
  public long firstIndex() {
    return ents.get(0).getIndex() + 1;
  }

  @Override
  public long lastIndex() {
    return ents.get(0).getIndex() + ents.size() - 1;
  }

  @Override
  public Snapshot snapshot() {
    return snapshot;
  }

  /**
   * Replaces the whole log with {@code snap} (a snapshot received from the leader).
   *
   * @throws IllegalArgumentException when it is not newer than the snapshot held
   */
  public void applySnapshot(Snapshot snap) {
    long index = snap.getMetadata().getIndex();
    long current = snapshot.getMetadata().getIndex();
    if (index <= current) {
      throw new IllegalArgumentException(
          "raft: snapshot at index " + index + " is not newer than the one held (" + current
              + "); it is out of date");
    }
    snapshot = snap;
    ents = new ArrayList<>();
    ents.add(Entry.newBuilder().setIndex(index).setTerm(snap.getMetadata().getTerm()).build());
  }

  /**
   * Records a snapshot of the state machine as of {@code index} (which the caller has applied),
   * with the configuration {@code cs} as of that index. The log is not compacted; call {@link
   * #compact} for that, possibly keeping some entries for slow followers.
   *
   * @return the new snapshot
   * @throws IllegalArgumentException when {@code index} is not newer than the snapshot held, or
   *     is past the last entry
   */
  public Snapshot createSnapshot(long index, ConfState cs, com.google.protobuf.ByteString data) {
    long current = snapshot.getMetadata().getIndex();
    if (index <= current) {
      throw new IllegalArgumentException(
          "raft: cannot snapshot at " + index + ": a snapshot at " + current + " exists");
    }
    if (index > lastIndex()) {
      throw new IllegalArgumentException(
          "raft: cannot snapshot at " + index + ": past the last index " + lastIndex());
    }
    snapshot =
        Snapshot.newBuilder()
            .setData(data)
            .setMetadata(
                SnapshotMetadata.newBuilder()
                    .setIndex(index)
                    .setTerm(term(index))
                    .setConfState(cs))
            .build();
    return snapshot;
  }

  /**
   * Discards the entries up to and including {@code compactIndex}. The caller must have applied
   * them and must not compact past what its snapshot covers, or a lagging follower could be left
   * with neither entries nor a snapshot to catch up from.
   *
   * @throws CompactedException when {@code compactIndex} is already compacted
   * @throws IllegalArgumentException when {@code compactIndex} is past the last entry
   */
  public void compact(long compactIndex) {
    long offset = ents.get(0).getIndex();
    if (compactIndex <= offset) {
      throw new CompactedException(compactIndex, offset);
    }
    if (compactIndex > lastIndex()) {
      throw new IllegalArgumentException(
          "raft: cannot compact to " + compactIndex + ": past the last index " + lastIndex());
    }
    int i = (int) (compactIndex - offset);
    List<Entry> kept = new ArrayList<>(ents.size() - i);
    kept.add(Entry.newBuilder().setIndex(compactIndex).setTerm(ents.get(i).getTerm()).build());
    kept.addAll(ents.subList(i + 1, ents.size()));
    ents = kept;
  }

  /**
   * Appends {@code entries} (from a {@link Ready}), first dropping stored entries at or after
   * the first new index: they were replaced by the leader. Entries at or below the snapshot are
   * skipped.
   *
   * @throws IllegalArgumentException when the entries do not connect to the stored log (a gap)
   */
  public void append(List<Entry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    long first = firstIndex();
    long last = entries.get(0).getIndex() + entries.size() - 1;
    if (last < first) {
      return;
    }
    if (first > entries.get(0).getIndex()) {
      entries = entries.subList((int) (first - entries.get(0).getIndex()), entries.size());
    }
    long offset = entries.get(0).getIndex() - ents.get(0).getIndex();
    if (ents.size() > offset) {
      ents = new ArrayList<>(ents.subList(0, (int) offset));
      ents.addAll(entries);
    } else if (ents.size() == offset) {
      ents.addAll(entries);
    } else {
      throw new IllegalArgumentException(
          "raft: missing log entries: last stored " + lastIndex() + ", appending from "
              + entries.get(0).getIndex());
    }
  }
}
