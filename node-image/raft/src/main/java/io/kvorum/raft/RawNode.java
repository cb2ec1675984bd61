package io.kvorum.raft;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.ConfChange;
import io.kvorum.raft.pb.ConfChangeType;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.EntryType;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One Raft member, driven by its caller. It has no threads, clock, sockets or files: the caller
 * feeds it time ({@link #tick()}), network input ({@link #step(Message)}) and client requests
 * ({@link #propose(byte[])}, {@link #readIndex(byte[])}, ...), and collects its output from
 * {@link #ready()}.
 *
 * <p>The loop (single-threaded; a RawNode is not thread-safe):
 *
 * <pre>{@code
 * while (running) {
 *   // on a timer:      node.tick();
 *   // on a message:    node.step(msg);
 *   // on a request:    node.propose(data);
 *   if (node.hasReady()) {
 *     Ready rd = node.ready();
 *     storage.persist(rd.snapshot(), rd.entries(), rd.hardState()); // fsync if rd.mustSync()
 *     transport.send(rd.messages());          // only after persisting
 *     stateMachine.apply(rd.snapshot(), rd.committedEntries());      // conf changes too
 *     node.advance();
 *   }
 * }
 * }</pre>
 *
 * See {@link Ready} for the exact contract of each part.
 */
public final class RawNode {

  private final Raft raft;
  private SoftState prevSoftState;
  private HardState prevHardState;
  /** The Ready handed out and not yet advanced, or null. */
  private Ready outstanding;

  /**
   * Starts (or restarts) a member from {@code config.storage()}: its hard state, configuration
   * and log. A member of a brand-new cluster then calls {@link #bootstrap(Collection)}; a member
   * joining an existing cluster starts with empty storage and waits to be contacted.
   */
  public RawNode(Config config) {
    this.raft = new Raft(config);
    this.prevSoftState = raft.softState();
    this.prevHardState = raft.hardState();
  }

  /**
   * Seeds a brand-new cluster: appends one committed ADD_NODE entry per voter (term 1, indexes 1
   * to n) so the initial membership is part of the log like every later change, and a member
   * added later learns it from the log or a snapshot. Every initial member must call this with
   * the same voters in the same order. The entries come out in the next {@link Ready} to persist
   * and apply like any others.
   *
   * @throws IllegalStateException when the storage is not empty (the member was started before)
   * @throws IllegalArgumentException when {@code voters} is empty or contains 0
   */
  public void bootstrap(Collection<Long> voters) {
    if (raft.raftLog.lastIndex() != 0 || raft.term != 0) {
      throw new IllegalStateException(
          "raft: cannot bootstrap a member whose storage is not empty (last index "
              + raft.raftLog.lastIndex() + ", term " + raft.term
              + "); restart it without bootstrap");
    }
    if (voters.isEmpty() || voters.contains(0L)) {
      throw new IllegalArgumentException(
          "raft: bootstrap needs at least one voter and no id 0, got " + voters);
    }
    raft.becomeFollower(1, Raft.NONE);
    List<Entry> entries = new ArrayList<>();
    List<ConfChange> changes = new ArrayList<>();
    long index = 1;
    for (long voter : voters) {
      ConfChange cc =
          ConfChange.newBuilder()
              .setType(ConfChangeType.CONF_CHANGE_ADD_NODE)
              .setNodeId(voter)
              .build();
      changes.add(cc);
      entries.add(
          Entry.newBuilder()
              .setTerm(1)
              .setIndex(index++)
              .setType(EntryType.ENTRY_CONF_CHANGE)
              .setData(cc.toByteString())
              .build());
    }
    raft.raftLog.append(entries);
    // Committed by definition: every initial member starts with the same entries.
    raft.raftLog.committed = entries.size();
    for (ConfChange cc : changes) {
      raft.applyConfChange(cc);
    }
  }

  /** Advances logical time by one tick: elections, heartbeats, check-quorum, transfer timeout. */
  public void tick() {
    raft.tick();
  }

  /** Campaigns at once (pre-vote first when enabled), without waiting for the election timer. */
  public void campaign() {
    raft.step(Message.newBuilder().setType(MessageType.MSG_HUP).setFrom(raft.id).build());
  }

  /**
   * Proposes {@code data} to be appended to the log. On a follower it is forwarded to the
   * leader; it commits only if the leader gets it and keeps leading, so a caller that needs the
   * outcome must watch for it in committed entries (with a timeout).
   *
   * @throws ProposalDroppedException when it was refused here; the reason says why
   */
  public void propose(byte[] data) {
    propose(ByteString.copyFrom(data));
  }

  /** {@link #propose(byte[])} without a copy: a {@code ByteString} cannot change. */
  public void propose(ByteString data) {
    stepProposal(Entry.newBuilder().setData(data).build());
  }

  /**
   * Proposes several entries at once: they are appended together and travel in the same append
   * messages, which is much cheaper than proposing them one by one (group commit). All or none
   * are accepted.
   *
   * @throws ProposalDroppedException when the batch was refused here
   * @throws IllegalArgumentException when the batch is empty
   */
  public void propose(List<byte[]> batch) {
    if (batch.isEmpty()) {
      throw new IllegalArgumentException("raft: empty proposal batch");
    }
    Message.Builder m = Message.newBuilder().setType(MessageType.MSG_PROP).setFrom(raft.id);
    for (byte[] data : batch) {
      m.addEntries(Entry.newBuilder().setData(ByteString.copyFrom(data)));
    }
    raft.step(m.build());
  }

  /**
   * Proposes a membership change. It takes effect when its entry is committed and the caller
   * applies it with {@link #applyConfChange}. Only one change may be pending at a time.
   *
   * @throws ProposalDroppedException when refused here (no leader, another change pending, the
   *     change would remove the last voter, ...)
   */
  public void proposeConfChange(ConfChange cc) {
    stepProposal(
        Entry.newBuilder()
            .setType(EntryType.ENTRY_CONF_CHANGE)
            .setData(cc.toByteString())
            .build());
  }

  private void stepProposal(Entry e) {
    raft.step(
        Message.newBuilder().setType(MessageType.MSG_PROP).setFrom(raft.id).addEntries(e).build());
  }

  /**
   * Applies a committed configuration change (decoded from an {@code ENTRY_CONF_CHANGE} entry) to
   * the tracked membership, and returns the new configuration, which the caller stores with its
   * next snapshot. Call it for every such entry, in log order, as it is applied. A leader that
   * removes or demotes itself steps down here.
   */
  public ConfState applyConfChange(ConfChange cc) {
    return raft.applyConfChange(cc);
  }

  /**
   * Feeds a message received from a peer. Local-only types (HUP, BEAT, UNREACHABLE, SNAP_STATUS,
   * CHECK_QUORUM) are refused: use {@link #campaign()}, {@link #reportUnreachable}, {@link
   * #reportSnapshot}. Responses from members not in the configuration are ignored. A proposal a
   * follower forwarded here and that is refused is dropped silently (its originator times out);
   * one dropped only because leadership is moving (a transfer, or no leader known here) throws,
   * so the caller may step it again once a leader is known (it was not appended, so it cannot be
   * applied twice).
   *
   * @throws IllegalArgumentException for a local-only message type
   * @throws ProposalDroppedException with cause {@link ProposalDroppedException.Cause#LEADERSHIP_TRANSFER}
   *     or {@link ProposalDroppedException.Cause#NO_LEADER} for such a forwarded proposal
   */
  public void step(Message m) {
    switch (m.getType()) {
      case MSG_HUP, MSG_BEAT, MSG_UNREACHABLE, MSG_SNAP_STATUS, MSG_CHECK_QUORUM ->
          throw new IllegalArgumentException(
              "raft: " + m.getType() + " is a local message and cannot come from the network");
      default -> {}
    }
    if (isResponse(m.getType()) && raft.trk.progress(m.getFrom()) == null) {
      return;
    }
    try {
      raft.step(m);
    } catch (ProposalDroppedException e) {
      if (m.getType() == MessageType.MSG_PROP && e.cause() != ProposalDroppedException.Cause.REFUSED) {
        throw e;
      }
      // Otherwise a forwarded proposal or read index request could not be served here.
    }
  }

  private static boolean isResponse(MessageType t) {
    return t == MessageType.MSG_APP_RESP
        || t == MessageType.MSG_VOTE_RESP
        || t == MessageType.MSG_HEARTBEAT_RESP
        || t == MessageType.MSG_PRE_VOTE_RESP;
  }

  /**
   * Asks the leader to hand leadership to {@code transferee} (thesis §3.10): the leader stops
   * accepting proposals, brings the transferee's log up to date, then tells it to campaign at
   * once. If that does not succeed within an election timeout the transfer is abandoned. Watch
   * {@link Ready#softState()} for the outcome. On a follower the request is forwarded.
   */
  public void transferLeader(long transferee) {
    raft.step(
        Message.newBuilder().setType(MessageType.MSG_TRANSFER_LEADER).setFrom(transferee).build());
  }

  /**
   * Requests a linearizable read point (thesis §6.4) without writing to the log. The answer is a
   * {@link ReadState} carrying {@code requestContext} in a later {@link Ready}: the leader
   * records its commit index, confirms it still leads with a heartbeat round, then answers.
   * Contexts must be unique among pending requests (a request id works). A request may go
   * unanswered when leadership changes meanwhile: retry after a timeout with a new context.
   *
   * @throws ProposalDroppedException when no leader is known
   */
  public void readIndex(byte[] requestContext) {
    raft.step(
        Message.newBuilder()
            .setType(MessageType.MSG_READ_INDEX)
            .addEntries(Entry.newBuilder().setData(ByteString.copyFrom(requestContext)))
            .build());
  }

  /** The transport could not reach {@code id}: the leader stops streaming to it and probes. */
  public void reportUnreachable(long id) {
    raft.step(
        Message.newBuilder().setType(MessageType.MSG_UNREACHABLE).setFrom(id).build());
  }

  /**
   * The transport finished sending a snapshot to {@code id}. On failure the leader will decide
   * again what to send; either way it waits for the follower's next response before appending.
   */
  public void reportSnapshot(long id, boolean success) {
    raft.step(
        Message.newBuilder()
            .setType(MessageType.MSG_SNAP_STATUS)
            .setFrom(id)
            .setReject(!success)
            .build());
  }

  /**
   * Whether {@link #ready()} would return something to do. False while a Ready is handed out
   * and not yet advanced.
   */
  public boolean hasReady() {
    if (outstanding != null) {
      return false;
    }
    if (!raft.softState().equals(prevSoftState)) {
      return true;
    }
    HardState hs = raft.hardState();
    if (!hs.equals(HardState.getDefaultInstance()) && !hs.equals(prevHardState)) {
      return true;
    }
    return raft.raftLog.unstableSnapshot() != null
        || !raft.msgs.isEmpty()
        || raft.raftLog.hasUnstableEntries()
        || raft.raftLog.hasNextCommittedEntries()
        || !raft.readStates.isEmpty();
  }

  /**
   * Collects what to persist, send and apply (see {@link Ready}). Call {@link #advance()} before
   * the next {@code ready()}.
   *
   * @throws IllegalStateException when the previous Ready was not advanced
   */
  public Ready ready() {
    if (outstanding != null) {
      throw new IllegalStateException(
          "raft: ready() called again before advance(); handle the previous Ready and advance");
    }
    SoftState ss = raft.softState();
    HardState hs = raft.hardState();
    List<Entry> entries = raft.raftLog.unstableEntries();
    Optional<HardState> hardState =
        hs.equals(prevHardState) ? Optional.empty() : Optional.of(hs);
    boolean mustSync =
        !entries.isEmpty()
            || raft.raftLog.unstableSnapshot() != null
            || hs.getTerm() != prevHardState.getTerm()
            || hs.getVote() != prevHardState.getVote();
    Ready rd =
        new Ready(
            ss.equals(prevSoftState) ? Optional.empty() : Optional.of(ss),
            hardState,
            entries,
            Optional.ofNullable(raft.raftLog.unstableSnapshot()),
            raft.raftLog.nextCommittedEntries(),
            List.copyOf(raft.msgs),
            List.copyOf(raft.readStates),
            mustSync);
    prevSoftState = ss;
    raft.msgs = new ArrayList<>();
    raft.readStates.clear();
    outstanding = rd;
    return rd;
  }

  /**
   * Acknowledges the last {@link Ready}: its entries and snapshot are persisted, its committed
   * entries applied.
   *
   * @throws IllegalStateException when there is no Ready to acknowledge
   */
  public void advance() {
    if (outstanding == null) {
      throw new IllegalStateException("raft: advance() without a preceding ready()");
    }
    outstanding.hardState().ifPresent(hs -> prevHardState = hs);
    raft.advance(outstanding);
    outstanding = null;
  }

  /** The member's current state; progress is filled in on the leader only. */
  public Status status() {
    Map<Long, PeerProgress> progress =
        raft.state == StateRole.LEADER ? raft.trk.views() : Map.of();
    return new Status(
        raft.id,
        raft.hardState(),
        raft.softState(),
        raft.raftLog.applied,
        raft.trk.confState(),
        progress,
        raft.leadTransferee);
  }

  /** For tests in this package: the state machine itself. */
  Raft raft() {
    return raft;
  }
}
