package io.kvorum.raft;

import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.Snapshot;
import java.util.List;
import java.util.Optional;

/**
 * Everything the core needs the caller to do, handed out by {@link RawNode#ready()}. Handle it
 * in this order, then call {@link RawNode#advance()}:
 *
 * <ol>
 *   <li><b>Persist</b> {@link #snapshot()} (if present), then {@link #entries()} (appending them,
 *       replacing any stored entries from the first one's index on), then {@link #hardState()} (if
 *       present). If {@link #mustSync()} is true, make them durable (fsync) before going on.
 *   <li><b>Send</b> {@link #messages()}. Only after step 1: a message may promise what was just
 *       persisted (a vote, an acknowledgement of entries), and a crash must not break the promise.
 *   <li><b>Apply</b> the snapshot (if present) to the state machine, then {@link
 *       #committedEntries()} in order. For an {@code ENTRY_CONF_CHANGE} entry, decode its data as
 *       a {@code ConfChange} and call {@link RawNode#applyConfChange}. Serve {@link #readStates()}
 *       once the applied index reaches their index.
 *   <li>Call {@link RawNode#advance()}.
 * </ol>
 *
 * @param softState the new leader/role, present only when it changed
 * @param hardState term, vote and commit to persist, present only when it changed
 * @param entries entries to append to stable storage, in index order
 * @param snapshot a snapshot from the leader to persist and apply, if one arrived
 * @param committedEntries entries to apply to the state machine, in index order (they are
 *     already persisted, or in {@code entries} of this same Ready)
 * @param messages messages to send once the above is persisted
 * @param readStates answered read index requests
 * @param mustSync whether the persisted state must reach the disk before messages go out
 */
public record Ready(
    Optional<SoftState> softState,
    Optional<HardState> hardState,
    List<Entry> entries,
    Optional<Snapshot> snapshot,
    List<Entry> committedEntries,
    List<Message> messages,
    List<ReadState> readStates,
    boolean mustSync) {

  /** Whether there is nothing to persist, send or apply. */
  public boolean isEmpty() {
    return softState.isEmpty()
        && hardState.isEmpty()
        && entries.isEmpty()
        && snapshot.isEmpty()
        && committedEntries.isEmpty()
        && messages.isEmpty()
        && readStates.isEmpty();
  }
}
