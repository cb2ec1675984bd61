package io.kvorum.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kvorum.raft.RaftLogger.Level;
import io.kvorum.raft.Storage.CompactedException;
import io.kvorum.raft.Storage.SnapshotTemporarilyUnavailableException;
import io.kvorum.raft.pb.ConfChange;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.EntryType;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import io.kvorum.raft.pb.Snapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The Raft state machine proper: roles, terms, votes, the log and replication. Everything arrives
 * as a {@link Message} through {@link #step(Message)} or as a {@link #tick()}; everything leaves
 * as messages in {@link #msgs} and as state the {@link RawNode} turns into a {@link Ready}.
 *
 * <p>Terms are Raft's logical clock (§5.1): a message from a higher term makes this member a
 * follower of that term before it is handled; one from a lower term is ignored (or answered so
 * the stale sender learns the term). Local messages (ticks turned into HUP/BEAT, proposals,
 * transport reports) carry term 0 and skip that check.
 */
final class Raft {

  static final long NONE = 0;

  /** Context of votes requested on a leader's behalf, which bypass the leader lease. */
  static final ByteString CAMPAIGN_TRANSFER = ByteString.copyFromUtf8("CampaignTransfer");

  private enum CampaignType {
    PRE_ELECTION,
    ELECTION,
    TRANSFER
  }

  final long id;
  long term;
  long vote;
  final List<ReadState> readStates = new ArrayList<>();
  final RaftLog raftLog;
  private final long maxMsgSize;
  private final long maxUncommittedSize;
  final ProgressTracker trk;
  StateRole state;
  boolean isLearner;
  List<Message> msgs = new ArrayList<>();
  long lead;
  /** The member leadership is being transferred to, or NONE. */
  long leadTransferee;
  /**
   * The log index of the latest configuration change this leader accepted; a new one is refused
   * until it is applied. Set to the last index on election because the log may hold an unapplied
   * change from an earlier term.
   */
  long pendingConfIndex;
  /** Payload bytes appended by this leader and not yet committed (flow control for proposals). */
  private long uncommittedSize;
  private ReadOnly readOnly = new ReadOnly();
  /** ReadIndex requests that arrived before this leader committed an entry of its own term. */
  private final List<Message> pendingReadIndexMessages = new ArrayList<>();
  /**
   * Ticks since the last election timeout (leader, for check-quorum) or since the last valid
   * message from the leader (follower).
   */
  int electionElapsed;
  private int heartbeatElapsed;
  final boolean checkQuorum;
  final boolean preVote;
  final int heartbeatTimeout;
  final int electionTimeout;
  /** In [electionTimeout, 2 * electionTimeout), drawn anew on every term or role change. */
  int randomizedElectionTimeout;
  private final RandomGenerator random;
  private final RaftLogger logger;

  Raft(Config c) {
    this.id = c.id();
    this.raftLog = new RaftLog(c.storage(), c.maxCommittedSizePerReady());
    this.maxMsgSize = c.maxSizePerMsg();
    this.maxUncommittedSize = c.maxUncommittedEntriesSize();
    this.trk = new ProgressTracker(c.maxInflightMsgs());
    this.checkQuorum = c.checkQuorum();
    this.preVote = c.preVote();
    this.heartbeatTimeout = c.heartbeatTick();
    this.electionTimeout = c.electionTick();
    this.random = c.random();
    this.logger = c.logger();

    Storage.InitialState initial = c.storage().initialState();
    MembershipChanger.restore(trk, initial.confState(), raftLog.lastIndex());
    updateIsLearner();
    HardState hs = initial.hardState();
    if (!hs.equals(HardState.getDefaultInstance())) {
      loadState(hs);
    }
    if (c.applied() > 0) {
      raftLog.appliedTo(c.applied());
    }
    becomeFollower(term, NONE);
    log(
        Level.INFO,
        "%x started [voters %s, learners %s, term %d, commit %d, applied %d, last index %d,"
            + " last term %d]",
        id,
        trk.voters,
        trk.learners,
        term,
        raftLog.committed,
        raftLog.applied,
        raftLog.lastIndex(),
        raftLog.lastTerm());
  }

  private void loadState(HardState hs) {
    if (hs.getCommit() < raftLog.committed || hs.getCommit() > raftLog.lastIndex()) {
      throw new IllegalStateException(
          String.format(
              "raft: %x hard state commit %d is out of range [%d, %d]: the log in storage is"
                  + " shorter than the persisted commit index, so it was lost or truncated",
              id, hs.getCommit(), raftLog.committed, raftLog.lastIndex()));
    }
    raftLog.committed = hs.getCommit();
    term = hs.getTerm();
    vote = hs.getVote();
  }

  HardState hardState() {
    return HardState.newBuilder().setTerm(term).setVote(vote).setCommit(raftLog.committed).build();
  }

  SoftState softState() {
    return new SoftState(lead, state);
  }

  private boolean promotable() {
    Progress pr = trk.progress(id);
    return pr != null && !pr.isLearner;
  }

  private void updateIsLearner() {
    Progress pr = trk.progress(id);
    isLearner = pr != null && pr.isLearner;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Queues {@code m} for the caller to send, stamped with this member's id, term and protocol
   * version. Vote messages carry their own term (a pre-vote asks about the next term); proposals
   * and read index requests carry none (they are not part of the term protocol).
   */
  private void send(Message.Builder m) {
    if (m.getFrom() == NONE) {
      m.setFrom(id);
    }
    MessageType t = m.getType();
    if (t == MessageType.MSG_VOTE
        || t == MessageType.MSG_VOTE_RESP
        || t == MessageType.MSG_PRE_VOTE
        || t == MessageType.MSG_PRE_VOTE_RESP) {
      if (m.getTerm() == 0) {
        throw new IllegalStateException("raft: term must be set on " + t);
      }
    } else if (t != MessageType.MSG_PROP && t != MessageType.MSG_READ_INDEX) {
      m.setTerm(term);
    }
    m.setProtocolVersion(RaftProtocol.CURRENT);
    msgs.add(m.build());
  }

  private static Message.Builder message(MessageType type, long to) {
    return Message.newBuilder().setType(type).setTo(to);
  }

  private void sendAppend(long to) {
    maybeSendAppend(to, true);
  }

  /**
   * Sends an append (or a snapshot, when the entries are compacted) to {@code to} unless its
   * progress is paused. With {@code sendIfEmpty} false, nothing is sent when there are no new
   * entries. Returns whether a message was sent.
   */
  private boolean maybeSendAppend(long to, boolean sendIfEmpty) {
    Progress pr = trk.progress(to);
    if (pr.isPaused()) {
      return false;
    }
    long prevTerm;
    List<Entry> ents;
    try {
      prevTerm = raftLog.term(pr.next - 1);
      ents = raftLog.entries(pr.next, maxMsgSize);
    } catch (CompactedException e) {
      return maybeSendSnapshot(to, pr);
    }
    if (ents.isEmpty() && !sendIfEmpty) {
      return false;
    }
    Message.Builder m =
        message(MessageType.MSG_APP, to)
            .setIndex(pr.next - 1)
            .setLogTerm(prevTerm)
            .addAllEntries(ents)
            .setCommit(raftLog.committed);
    if (!ents.isEmpty()) {
      long last = ents.get(ents.size() - 1).getIndex();
      switch (pr.state) {
        case REPLICATE -> {
          pr.optimisticUpdate(last);
          pr.inflights.add(last);
        }
        case PROBE -> pr.probeSent = true;
        case SNAPSHOT ->
            throw new IllegalStateException("raft: " + to + " is paused in snapshot state");
      }
    }
    send(m);
    return true;
  }

  private boolean maybeSendSnapshot(long to, Progress pr) {
    if (!pr.recentActive) {
      log(Level.DEBUG, "%x skipped sending a snapshot to %x: not recently active", id, to);
      return false;
    }
    Snapshot snapshot;
    try {
      snapshot = raftLog.snapshot();
    } catch (SnapshotTemporarilyUnavailableException e) {
      log(Level.DEBUG, "%x delays sending a snapshot to %x: not available yet", id, to);
      return false;
    }
    long sindex = snapshot.getMetadata().getIndex();
    if (sindex == 0) {
      throw new IllegalStateException(
          "raft: entries for " + to + " are compacted but storage has no snapshot");
    }
    log(
        Level.INFO,
        "%x [first index %d, commit %d] sends snapshot [index %d, term %d] to %x [%s]",
        id,
        raftLog.firstIndex(),
        raftLog.committed,
        sindex,
        snapshot.getMetadata().getTerm(),
        to,
        pr);
    pr.becomeSnapshot(sindex);
    send(message(MessageType.MSG_SNAP, to).setSnapshot(snapshot));
    return true;
  }

  private void sendHeartbeat(long to, ByteString ctx) {
    // Never tell a follower to commit past what it is known to hold: it might not have it.
    long commit = Math.min(trk.progress(to).match, raftLog.committed);
    send(message(MessageType.MSG_HEARTBEAT, to).setCommit(commit).setContext(ctx));
  }

  private void bcastAppend() {
    for (long to : trk.progress.keySet()) {
      if (to != id) {
        sendAppend(to);
      }
    }
  }

  private void bcastHeartbeat(ByteString ctx) {
    for (long to : trk.progress.keySet()) {
      if (to != id) {
        sendHeartbeat(to, ctx);
      }
    }
  }

  // ---------------------------------------------------------------- commitment

  /** Commits what a majority holds, if it is from this term; returns whether commit advanced. */
  private boolean maybeCommit() {
    boolean advanced = raftLog.maybeCommit(trk.committed(), term);
    if (advanced) {
      releasePendingReadIndexMessages();
    }
    return advanced;
  }

  private boolean committedEntryInCurrentTerm() {
    return raftLog.termOrZero(raftLog.committed) == term;
  }

  private boolean appendEntries(List<Entry> es) {
    long li = raftLog.lastIndex();
    List<Entry> stamped = new ArrayList<>(es.size());
    for (int i = 0; i < es.size(); i++) {
      stamped.add(es.get(i).toBuilder().setTerm(term).setIndex(li + 1 + i).build());
    }
    if (!increaseUncommittedSize(stamped)) {
      return false;
    }
    li = raftLog.append(stamped);
    trk.progress(id).maybeUpdate(li);
    maybeCommit();
    return true;
  }

  private boolean increaseUncommittedSize(List<Entry> ents) {
    long s = Entries.payloadSize(ents);
    if (maxUncommittedSize > 0
        && uncommittedSize > 0
        && s > 0
        && uncommittedSize + s > maxUncommittedSize) {
      return false;
    }
    uncommittedSize += s;
    return true;
  }

  private void reduceUncommittedSize(List<Entry> committed) {
    if (uncommittedSize == 0) {
      return; // Fast path for followers, which do not track it.
    }
    uncommittedSize = Math.max(0, uncommittedSize - Entries.payloadSize(committed));
  }

  // ---------------------------------------------------------------- ticks and role changes

  void tick() {
    if (state == StateRole.LEADER) {
      tickHeartbeat();
    } else {
      tickElection();
    }
  }

  private void tickElection() {
    electionElapsed++;
    if (promotable() && electionElapsed >= randomizedElectionTimeout) {
      electionElapsed = 0;
      step(localMessage(MessageType.MSG_HUP));
    }
  }

  private void tickHeartbeat() {
    heartbeatElapsed++;
    electionElapsed++;
    if (electionElapsed >= electionTimeout) {
      electionElapsed = 0;
      if (checkQuorum) {
        step(localMessage(MessageType.MSG_CHECK_QUORUM));
      }
      // A transfer that did not finish within an election timeout has failed (thesis §3.10).
      if (state == StateRole.LEADER && leadTransferee != NONE) {
        log(Level.INFO, "%x aborts leadership transfer to %x: timed out", id, leadTransferee);
        abortLeaderTransfer();
      }
    }
    if (state != StateRole.LEADER) {
      return;
    }
    if (heartbeatElapsed >= heartbeatTimeout) {
      heartbeatElapsed = 0;
      step(localMessage(MessageType.MSG_BEAT));
    }
  }

  private Message localMessage(MessageType type) {
    return Message.newBuilder().setType(type).setFrom(id).build();
  }

  private void reset(long newTerm) {
    if (term != newTerm) {
      term = newTerm;
      vote = NONE;
    }
    lead = NONE;
    electionElapsed = 0;
    heartbeatElapsed = 0;
    randomizedElectionTimeout = electionTimeout + random.nextInt(electionTimeout);
    abortLeaderTransfer();
    trk.resetVotes();
    long lastIndex = raftLog.lastIndex();
    for (Map.Entry<Long, Progress> e : trk.progress.entrySet()) {
      Progress old = e.getValue();
      Progress pr = new Progress(0, lastIndex + 1, trk.maxInflight, old.isLearner);
      if (e.getKey() == id) {
        pr.match = lastIndex;
      }
      e.setValue(pr);
    }
    pendingConfIndex = 0;
    uncommittedSize = 0;
    readOnly = new ReadOnly();
    pendingReadIndexMessages.clear();
  }

  void becomeFollower(long newTerm, long newLead) {
    reset(newTerm);
    lead = newLead;
    state = StateRole.FOLLOWER;
    log(Level.INFO, "%x became follower at term %d (leader %x)", id, term, lead);
  }

  private void becomeCandidate() {
    if (state == StateRole.LEADER) {
      throw new IllegalStateException("raft: invalid transition [leader -> candidate]");
    }
    reset(term + 1);
    vote = id;
    state = StateRole.CANDIDATE;
    log(Level.INFO, "%x became candidate at term %d", id, term);
  }

  private void becomePreCandidate() {
    if (state == StateRole.LEADER) {
      throw new IllegalStateException("raft: invalid transition [leader -> pre-candidate]");
    }
    // A pre-candidate changes neither its term nor its vote (thesis §9.6): that is the point.
    trk.resetVotes();
    lead = NONE;
    state = StateRole.PRE_CANDIDATE;
    log(Level.INFO, "%x became pre-candidate at term %d", id, term);
  }

  private void becomeLeader() {
    if (state == StateRole.FOLLOWER) {
      throw new IllegalStateException("raft: invalid transition [follower -> leader]");
    }
    reset(term);
    lead = id;
    state = StateRole.LEADER;
    Progress self = trk.progress(id);
    self.becomeReplicate();
    self.recentActive = true;
    // The log may end in a configuration change of an earlier term that is not applied yet.
    pendingConfIndex = raftLog.lastIndex();
    // An empty entry of the new term lets the leader commit everything before it (§5.4.2, §8).
    if (!appendEntries(List.of(Entry.getDefaultInstance()))) {
      throw new IllegalStateException("raft: empty entry was dropped");
    }
    log(Level.INFO, "%x became leader at term %d", id, term);
  }

  private void hup(CampaignType type) {
    if (state == StateRole.LEADER) {
      log(Level.DEBUG, "%x ignores MsgHup: already leader", id);
      return;
    }
    if (!promotable()) {
      log(Level.WARN, "%x is not promotable (not a voter) and cannot campaign", id);
      return;
    }
    if (hasUnappliedConfChanges()) {
      // The configuration this member would campaign under may be about to change.
      log(
          Level.WARN,
          "%x cannot campaign at term %d: configuration changes are committed but not applied",
          id,
          term);
      return;
    }
    log(Level.INFO, "%x starts a new election at term %d", id, term);
    campaign(type);
  }

  private boolean hasUnappliedConfChanges() {
    if (raftLog.applied >= raftLog.committed) {
      return false;
    }
    for (Entry e : raftLog.slice(raftLog.applied + 1, raftLog.committed + 1, Long.MAX_VALUE)) {
      if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
        return true;
      }
    }
    return false;
  }

  private void campaign(CampaignType type) {
    long voteTerm;
    MessageType voteMsg;
    if (type == CampaignType.PRE_ELECTION) {
      becomePreCandidate();
      voteMsg = MessageType.MSG_PRE_VOTE;
      voteTerm = term + 1; // Ask about the term this member would campaign in.
    } else {
      becomeCandidate();
      voteMsg = MessageType.MSG_VOTE;
      voteTerm = term;
    }
    if (poll(id, voteRespType(voteMsg), true) == VoteResult.WON) {
      // A single-voter cluster wins at once.
      if (type == CampaignType.PRE_ELECTION) {
        campaign(CampaignType.ELECTION);
      } else {
        becomeLeader();
      }
      return;
    }
    for (long to : trk.voters) {
      if (to == id) {
        continue;
      }
      log(
          Level.INFO,
          "%x [last term %d, last index %d] sent %s request to %x at term %d",
          id,
          raftLog.lastTerm(),
          raftLog.lastIndex(),
          voteMsg,
          to,
          term);
      Message.Builder m =
          message(voteMsg, to)
              .setTerm(voteTerm)
              .setIndex(raftLog.lastIndex())
              .setLogTerm(raftLog.lastTerm());
      if (type == CampaignType.TRANSFER) {
        m.setContext(CAMPAIGN_TRANSFER);
      }
      send(m);
    }
  }

  private static MessageType voteRespType(MessageType voteMsg) {
    return voteMsg == MessageType.MSG_VOTE
        ? MessageType.MSG_VOTE_RESP
        : MessageType.MSG_PRE_VOTE_RESP;
  }

  private VoteResult poll(long from, MessageType type, boolean granted) {
    log(
        Level.INFO,
        "%x received %s %s from %x at term %d",
        id,
        type,
        granted ? "grant" : "rejection",
        from,
        term);
    trk.recordVote(from, granted);
    return trk.tallyVotes();
  }

  // ---------------------------------------------------------------- step

  /** Handles one message; see the class comment for the term rules. */
  void step(Message m) {
    if (m.getTerm() == 0) {
      // Local message.
    } else if (m.getTerm() > term) {
      if (m.getType() == MessageType.MSG_VOTE || m.getType() == MessageType.MSG_PRE_VOTE) {
        boolean force = m.getContext().equals(CAMPAIGN_TRANSFER);
        boolean inLease = checkQuorum && lead != NONE && electionElapsed < electionTimeout;
        if (!force && inLease) {
          // Leader lease (thesis §4.2.3): a member that heard from a live leader within the
          // minimum election timeout ignores a vote request instead of adopting its term, so a
          // partitioned member rejoining with a high term cannot depose a healthy leader.
          log(
              Level.INFO,
              "%x [term %d] ignored %s from %x at term %d: lease is not expired (%d ticks left)",
              id,
              term,
              m.getType(),
              m.getFrom(),
              m.getTerm(),
              electionTimeout - electionElapsed);
          return;
        }
      }
      if (m.getType() == MessageType.MSG_PRE_VOTE) {
        // A pre-vote never changes the term of the member asked.
      } else if (m.getType() == MessageType.MSG_PRE_VOTE_RESP && !m.getReject()) {
        // The term this pre-vote was granted for is adopted when the real election starts.
      } else {
        log(
            Level.INFO,
            "%x [term %d] received %s from %x at higher term %d",
            id,
            term,
            m.getType(),
            m.getFrom(),
            m.getTerm());
        boolean fromLeader =
            m.getType() == MessageType.MSG_APP
                || m.getType() == MessageType.MSG_HEARTBEAT
                || m.getType() == MessageType.MSG_SNAP;
        becomeFollower(m.getTerm(), fromLeader ? m.getFrom() : NONE);
      }
    } else if (m.getTerm() < term) {
      if (m.getType() == MessageType.MSG_HEARTBEAT || m.getType() == MessageType.MSG_APP) {
        // This member's term passed the leader's: it was cut off and campaigned, or voted in an
        // election the leader never heard of. Answer, so the leader learns the term, steps down
        // and a new election lets this member rejoin. etcd answers only with check-quorum or
        // pre-vote and otherwise relies on this member's own campaign to spread the term, but
        // that campaign may never reach the leader: a member that is not a voter (as far as it
        // knows) never campaigns, and one with a stale configuration asks only the members it
        // knows, which may all be gone (both found by the cluster simulation).
        send(message(MessageType.MSG_APP_RESP, m.getFrom()));
      } else if (m.getType() == MessageType.MSG_PRE_VOTE) {
        // Reject with our term, so a pre-candidate that is behind learns it.
        send(
            message(MessageType.MSG_PRE_VOTE_RESP, m.getFrom()).setTerm(term).setReject(true));
      } else {
        log(
            Level.DEBUG,
            "%x [term %d] ignored %s from %x at lower term %d",
            id,
            term,
            m.getType(),
            m.getFrom(),
            m.getTerm());
      }
      return;
    }

    switch (m.getType()) {
      case MSG_HUP -> hup(preVote ? CampaignType.PRE_ELECTION : CampaignType.ELECTION);
      case MSG_VOTE, MSG_PRE_VOTE -> handleVoteRequest(m);
      default -> {
        switch (state) {
          case LEADER -> stepLeader(m);
          case CANDIDATE, PRE_CANDIDATE -> stepCandidate(m);
          case FOLLOWER -> stepFollower(m);
        }
      }
    }
  }

  /** Grants a vote (Raft §5.2, §5.4.1) if this member may vote for the sender and its log is current. */
  private void handleVoteRequest(Message m) {
    boolean canVote =
        vote == m.getFrom()
            // Not voted in this term and no leader known.
            || (vote == NONE && lead == NONE)
            // A pre-vote for a future term: this member could still vote in that term.
            || (m.getType() == MessageType.MSG_PRE_VOTE && m.getTerm() > term);
    MessageType respType = voteRespType(m.getType());
    if (canVote && raftLog.isUpToDate(m.getIndex(), m.getLogTerm())) {
      logVote("cast %s for", m);
      // The response carries the request's term: a pre-vote granted for term+1 must be counted
      // as such by the pre-candidate, which has not raised its own term.
      send(message(respType, m.getFrom()).setTerm(m.getTerm()));
      if (m.getType() == MessageType.MSG_VOTE) {
        electionElapsed = 0;
        vote = m.getFrom();
      }
    } else {
      logVote("rejected %s from", m);
      send(message(respType, m.getFrom()).setTerm(term).setReject(true));
    }
  }

  private void logVote(String decision, Message m) {
    log(
        Level.INFO,
        "%x [log %d/%d, vote %x] " + decision + " %x [log %d/%d] at term %d",
        id,
        raftLog.lastTerm(),
        raftLog.lastIndex(),
        vote,
        m.getType(),
        m.getFrom(),
        m.getLogTerm(),
        m.getIndex(),
        term);
  }

  private void stepLeader(Message m) {
    switch (m.getType()) {
      case MSG_BEAT -> {
        bcastHeartbeat(readOnly.lastPendingRequestContext());
        return;
      }
      case MSG_CHECK_QUORUM -> {
        if (!trk.quorumActive(id)) {
          log(Level.WARN, "%x stepped down to follower: quorum is not active", id);
          becomeFollower(term, NONE);
        }
        for (Map.Entry<Long, Progress> e : trk.progress.entrySet()) {
          e.getValue().recentActive = e.getKey() == id;
        }
        return;
      }
      case MSG_PROP -> {
        handleProposal(m);
        return;
      }
      case MSG_READ_INDEX -> {
        if (!committedEntryInCurrentTerm()) {
          // Until this leader commits an entry of its term it does not know the latest commit
          // index (thesis §6.4 step 1): hold the request until it does.
          pendingReadIndexMessages.add(m);
          return;
        }
        sendReadIndexResponse(m);
        return;
      }
      default -> {
        // Responses and reports about a peer: handled below.
      }
    }

    Progress pr = trk.progress(m.getFrom());
    if (pr == null) {
      log(Level.DEBUG, "%x has no progress for %x; ignoring %s", id, m.getFrom(), m.getType());
      return;
    }
    switch (m.getType()) {
      case MSG_APP_RESP -> handleAppendResponse(m, pr);
      case MSG_HEARTBEAT_RESP -> handleHeartbeatResponse(m, pr);
      case MSG_SNAP_STATUS -> {
        if (pr.state != ProgressState.SNAPSHOT) {
          return;
        }
        if (m.getReject()) {
          // The follower did not get it: forget the snapshot; probing will decide again.
          pr.pendingSnapshot = 0;
        }
        pr.becomeProbe();
        // Wait for the follower's answer (or a heartbeat response) before the next append.
        pr.probeSent = true;
        log(Level.DEBUG, "%x snapshot to %x %s; now %s", id, m.getFrom(),
            m.getReject() ? "failed" : "succeeded", pr);
      }
      case MSG_UNREACHABLE -> {
        // Optimistic appends were probably lost: fall back to probing.
        if (pr.state == ProgressState.REPLICATE) {
          pr.becomeProbe();
        }
      }
      case MSG_TRANSFER_LEADER -> handleTransferLeader(m, pr);
      default -> {}
    }
  }

  private void handleProposal(Message m) {
    if (m.getEntriesCount() == 0) {
      throw new IllegalArgumentException("raft: proposal without entries");
    }
    if (trk.progress(id) == null) {
      throw new ProposalDroppedException(
          "this leader was removed from the configuration; propose to the new leader");
    }
    if (leadTransferee != NONE) {
      throw new ProposalDroppedException(ProposalDroppedException.Cause.LEADERSHIP_TRANSFER,
          String.format("leadership is being transferred to %x; retry on the new leader",
              leadTransferee));
    }
    List<Entry> entries = new ArrayList<>(m.getEntriesList());
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.getType() != EntryType.ENTRY_CONF_CHANGE) {
        continue;
      }
      String refusal;
      if (pendingConfIndex > raftLog.applied) {
        refusal =
            String.format(
                "configuration change at index %d is not applied yet (applied %d); only one"
                    + " change may be pending, retry after it is applied",
                pendingConfIndex, raftLog.applied);
      } else {
        refusal = MembershipChanger.refusal(trk, decodeConfChange(e));
      }
      if (refusal != null) {
        if (m.getFrom() == id) {
          throw new ProposalDroppedException(refusal);
        }
        // Forwarded by a follower: keep the other entries, turn this one into a no-op.
        log(Level.INFO, "%x ignores a forwarded configuration change: %s", id, refusal);
        entries.set(i, Entry.getDefaultInstance());
      } else {
        pendingConfIndex = raftLog.lastIndex() + i + 1;
      }
    }
    if (!appendEntries(entries)) {
      throw new ProposalDroppedException(
          String.format(
              "%d bytes of uncommitted entries exceed maxUncommittedEntriesSize %d; retry when"
                  + " earlier proposals commit",
              uncommittedSize, maxUncommittedSize));
    }
    bcastAppend();
  }

  static ConfChange decodeConfChange(Entry e) {
    try {
      return ConfChange.parseFrom(e.getData());
    } catch (InvalidProtocolBufferException ex) {
      throw new IllegalArgumentException(
          "raft: entry " + e.getIndex() + " is a configuration change but does not decode", ex);
    }
  }

  private void handleAppendResponse(Message m, Progress pr) {
    pr.recentActive = true;
    if (m.getReject()) {
      log(
          Level.DEBUG,
          "%x received rejection of index %d from %x (hint %d/%d) for %s",
          id,
          m.getIndex(),
          m.getFrom(),
          m.getRejectHint(),
          m.getLogTerm(),
          pr);
      long nextProbeIdx = m.getRejectHint();
      if (m.getLogTerm() > 0) {
        // The follower's log holds term logTerm at rejectHint and nothing newer before it: skip
        // every entry of ours above the last one with a term <= logTerm, they cannot match.
        nextProbeIdx = raftLog.findConflictByTerm(m.getRejectHint(), m.getLogTerm())[0];
      }
      if (pr.maybeDecrTo(m.getIndex(), nextProbeIdx)) {
        if (pr.state == ProgressState.REPLICATE) {
          pr.becomeProbe();
        }
        sendAppend(m.getFrom());
      }
      return;
    }
    boolean wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.getIndex())) {
      return;
    }
    switch (pr.state) {
      case PROBE -> pr.becomeReplicate();
      case SNAPSHOT -> {
        // The follower caught up past our first index: the log can serve it from here on.
        if (pr.match + 1 >= raftLog.firstIndex()) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
      }
      case REPLICATE -> pr.inflights.freeLessOrEqual(m.getIndex());
    }
    if (maybeCommit()) {
      bcastAppend();
    } else if (wasPaused) {
      sendAppend(m.getFrom());
    }
    // The window may have opened for several size-limited messages at once.
    while (maybeSendAppend(m.getFrom(), false)) {
      // keep sending
    }
    if (m.getFrom() == leadTransferee && pr.match == raftLog.lastIndex()) {
      log(Level.INFO, "%x sends MsgTimeoutNow to %x: its log is up to date", id, m.getFrom());
      sendTimeoutNow(m.getFrom());
    }
  }

  private void handleHeartbeatResponse(Message m, Progress pr) {
    pr.recentActive = true;
    pr.probeSent = false;
    // A live follower with a full window may have lost an ack: let one more message through.
    if (pr.state == ProgressState.REPLICATE && pr.inflights.full()) {
      pr.inflights.freeFirstOne();
    }
    if (pr.match < raftLog.lastIndex()) {
      sendAppend(m.getFrom());
    }
    if (m.getContext().isEmpty()) {
      return;
    }
    Set<Long> acks = readOnly.recvAck(m.getFrom(), m.getContext());
    if (acks == null) {
      return;
    }
    acks.add(id);
    if (MajorityQuorum.voteResult(trk.voters, asVotes(acks)) != VoteResult.WON) {
      return;
    }
    for (ReadOnly.Pending p : readOnly.advance(m.getContext())) {
      respondToReadIndex(p.request(), p.index());
    }
  }

  private static Map<Long, Boolean> asVotes(Set<Long> acks) {
    Map<Long, Boolean> votes = new HashMap<>();
    for (long a : acks) {
      votes.put(a, true);
    }
    return votes;
  }

  private void handleTransferLeader(Message m, Progress pr) {
    if (pr.isLearner) {
      log(Level.INFO, "%x ignores transferring leadership to learner %x", id, m.getFrom());
      return;
    }
    long transferee = m.getFrom();
    if (leadTransferee != NONE) {
      if (leadTransferee == transferee) {
        log(Level.INFO, "%x: transfer to %x already in progress", id, transferee);
        return;
      }
      abortLeaderTransfer();
    }
    if (transferee == id) {
      log(Level.DEBUG, "%x is already leader; transfer to itself ignored", id);
      return;
    }
    log(Level.INFO, "%x starts to transfer leadership to %x", id, transferee);
    // The transfer must finish within an election timeout, counted from now.
    electionElapsed = 0;
    leadTransferee = transferee;
    if (pr.match == raftLog.lastIndex()) {
      sendTimeoutNow(transferee);
    } else {
      // Catch the target up first; its append response triggers MsgTimeoutNow.
      sendAppend(transferee);
    }
  }

  private void sendTimeoutNow(long to) {
    send(message(MessageType.MSG_TIMEOUT_NOW, to));
  }

  private void abortLeaderTransfer() {
    leadTransferee = NONE;
  }

  private void releasePendingReadIndexMessages() {
    if (pendingReadIndexMessages.isEmpty() || !committedEntryInCurrentTerm()) {
      return;
    }
    List<Message> held = new ArrayList<>(pendingReadIndexMessages);
    pendingReadIndexMessages.clear();
    for (Message m : held) {
      sendReadIndexResponse(m);
    }
  }

  private void sendReadIndexResponse(Message m) {
    if (trk.isSingleton()) {
      respondToReadIndex(m, raftLog.committed);
      return;
    }
    // Confirm leadership with a heartbeat round that carries this request's context.
    readOnly.addRequest(raftLog.committed, m);
    readOnly.recvAck(id, m.getEntries(0).getData());
    bcastHeartbeat(m.getEntries(0).getData());
  }

  private void respondToReadIndex(Message request, long readIndex) {
    if (request.getFrom() == NONE || request.getFrom() == id) {
      readStates.add(new ReadState(readIndex, request.getEntries(0).getData()));
      return;
    }
    send(
        message(MessageType.MSG_READ_INDEX_RESP, request.getFrom())
            .setIndex(readIndex)
            .addAllEntries(request.getEntriesList()));
  }

  private void stepCandidate(Message m) {
    MessageType myVoteResp =
        state == StateRole.PRE_CANDIDATE
            ? MessageType.MSG_PRE_VOTE_RESP
            : MessageType.MSG_VOTE_RESP;
    switch (m.getType()) {
      case MSG_PROP ->
          throw new ProposalDroppedException(ProposalDroppedException.Cause.NO_LEADER,
              String.format("%x is campaigning at term %d and no leader is known", id, term));
      case MSG_APP -> {
        becomeFollower(m.getTerm(), m.getFrom()); // Always m.term == term here.
        handleAppendEntries(m);
      }
      case MSG_HEARTBEAT -> {
        becomeFollower(m.getTerm(), m.getFrom());
        handleHeartbeat(m);
      }
      case MSG_SNAP -> {
        becomeFollower(m.getTerm(), m.getFrom());
        handleSnapshot(m);
      }
      case MSG_READ_INDEX ->
          throw new ProposalDroppedException(ProposalDroppedException.Cause.NO_LEADER,
              String.format("%x is campaigning at term %d; no leader to serve a read index", id,
                  term));
      case MSG_TIMEOUT_NOW ->
          log(Level.DEBUG, "%x ignored MsgTimeoutNow from %x: campaigning", id, m.getFrom());
      default -> {
        if (m.getType() != myVoteResp) {
          return;
        }
        VoteResult res = poll(m.getFrom(), m.getType(), !m.getReject());
        log(
            Level.INFO,
            "%x has received %d %s votes and %d vote rejections",
            id,
            trk.granted(),
            m.getType(),
            trk.rejected());
        if (res == VoteResult.WON) {
          if (state == StateRole.PRE_CANDIDATE) {
            campaign(CampaignType.ELECTION);
          } else {
            becomeLeader();
            bcastAppend();
          }
        } else if (res == VoteResult.LOST) {
          // A pre-candidate stays in its term; a candidate keeps its raised term.
          becomeFollower(term, NONE);
        }
      }
    }
  }

  private void stepFollower(Message m) {
    switch (m.getType()) {
      case MSG_PROP -> {
        if (lead == NONE) {
          throw new ProposalDroppedException(ProposalDroppedException.Cause.NO_LEADER,
              String.format("no leader at term %d; retry when one is elected", term));
        }
        send(m.toBuilder().setTo(lead));
      }
      case MSG_APP -> {
        electionElapsed = 0;
        lead = m.getFrom();
        handleAppendEntries(m);
      }
      case MSG_HEARTBEAT -> {
        electionElapsed = 0;
        lead = m.getFrom();
        handleHeartbeat(m);
      }
      case MSG_SNAP -> {
        electionElapsed = 0;
        lead = m.getFrom();
        handleSnapshot(m);
      }
      case MSG_TRANSFER_LEADER -> {
        if (lead == NONE) {
          log(Level.INFO, "%x: no leader at term %d; dropping leader transfer", id, term);
          return;
        }
        send(m.toBuilder().setTo(lead));
      }
      case MSG_TIMEOUT_NOW -> {
        log(
            Level.INFO,
            "%x [term %d] received MsgTimeoutNow from %x and starts an election to take"
                + " leadership",
            id,
            term,
            m.getFrom());
        // No pre-vote: the leader asked for this, and the votes bypass the lease.
        hup(CampaignType.TRANSFER);
      }
      case MSG_READ_INDEX -> {
        if (lead == NONE) {
          throw new ProposalDroppedException(ProposalDroppedException.Cause.NO_LEADER,
              String.format("no leader at term %d to serve a read index; retry later", term));
        }
        send(m.toBuilder().setTo(lead));
      }
      case MSG_READ_INDEX_RESP -> {
        if (m.getEntriesCount() != 1) {
          log(Level.WARN, "%x: invalid MsgReadIndexResp from %x: %d entries", id, m.getFrom(),
              m.getEntriesCount());
          return;
        }
        readStates.add(new ReadState(m.getIndex(), m.getEntries(0).getData()));
      }
      default -> {}
    }
  }

  private void handleAppendEntries(Message m) {
    if (m.getIndex() < raftLog.committed) {
      // Everything up to our commit index is known to match: tell the leader where we are.
      send(message(MessageType.MSG_APP_RESP, m.getFrom()).setIndex(raftLog.committed));
      return;
    }
    long lastNew =
        raftLog.maybeAppend(m.getIndex(), m.getLogTerm(), m.getCommit(), m.getEntriesList());
    if (lastNew >= 0) {
      send(message(MessageType.MSG_APP_RESP, m.getFrom()).setIndex(lastNew));
      return;
    }
    // Fast backtracking: report the last index <= m.index whose term is <= m.logTerm. Every
    // entry of ours after it has a larger term than the leader's entry at m.index, so none can
    // match; the leader skips them all in one round trip.
    long hintIndex = Math.min(m.getIndex(), raftLog.lastIndex());
    long[] hint = raftLog.findConflictByTerm(hintIndex, m.getLogTerm());
    log(
        Level.DEBUG,
        "%x [log term %d, index %d] rejected MsgApp [log term %d, index %d] from %x (hint %d/%d)",
        id,
        raftLog.termOrZero(m.getIndex()),
        m.getIndex(),
        m.getLogTerm(),
        m.getIndex(),
        m.getFrom(),
        hint[0],
        hint[1]);
    send(
        message(MessageType.MSG_APP_RESP, m.getFrom())
            .setIndex(m.getIndex())
            .setReject(true)
            .setRejectHint(hint[0])
            .setLogTerm(hint[1]));
  }

  private void handleHeartbeat(Message m) {
    raftLog.commitTo(m.getCommit());
    send(message(MessageType.MSG_HEARTBEAT_RESP, m.getFrom()).setContext(m.getContext()));
  }

  private void handleSnapshot(Message m) {
    long sindex = m.getSnapshot().getMetadata().getIndex();
    long sterm = m.getSnapshot().getMetadata().getTerm();
    if (restore(m.getSnapshot())) {
      log(Level.INFO, "%x [commit %d] restored snapshot [index %d, term %d]", id,
          raftLog.committed, sindex, sterm);
      send(message(MessageType.MSG_APP_RESP, m.getFrom()).setIndex(raftLog.lastIndex()));
    } else {
      log(Level.INFO, "%x [commit %d] ignored snapshot [index %d, term %d]", id,
          raftLog.committed, sindex, sterm);
      send(message(MessageType.MSG_APP_RESP, m.getFrom()).setIndex(raftLog.committed));
    }
  }

  /**
   * Replaces the log with {@code s} if it is ahead of the commit index. Returns false when it is
   * not needed: already committed that far, or the log already holds the snapshot's last entry
   * (then only the commit index moves).
   */
  boolean restore(Snapshot s) {
    long sindex = s.getMetadata().getIndex();
    long sterm = s.getMetadata().getTerm();
    if (sindex <= raftLog.committed) {
      return false;
    }
    if (state != StateRole.FOLLOWER) {
      // Only a leader of this term sends snapshots, and then this member is its follower.
      log(Level.WARN, "%x attempted to restore a snapshot as %s; stepping down", id, state);
      becomeFollower(term + 1, NONE);
      return false;
    }
    ConfState cs = s.getMetadata().getConfState();
    if (!cs.getVotersList().contains(id) && !cs.getLearnersList().contains(id)) {
      log(Level.WARN, "%x ignored a snapshot whose configuration %s does not include it", id,
          cs.toString().replace('\n', ' '));
      return false;
    }
    if (raftLog.matchTerm(sindex, sterm)) {
      log(Level.INFO, "%x fast-forwarded commit to snapshot [index %d, term %d]", id, sindex,
          sterm);
      raftLog.commitTo(sindex);
      return false;
    }
    raftLog.restore(s);
    MembershipChanger.restore(trk, cs, raftLog.lastIndex());
    updateIsLearner();
    return true;
  }

  // ---------------------------------------------------------------- configuration

  /** Applies a committed configuration change; see {@link RawNode#applyConfChange}. */
  ConfState applyConfChange(ConfChange cc) {
    MembershipChanger.apply(trk, cc, raftLog.lastIndex());
    updateIsLearner();
    ConfState cs = trk.confState();
    log(Level.INFO, "%x applied configuration change %s %x: now voters %s, learners %s", id,
        cc.getType(), cc.getNodeId(), trk.voters, trk.learners);
    if (state != StateRole.LEADER) {
      return cs;
    }
    if (!promotable()) {
      // This leader was removed or demoted: it must not lead a configuration it is no voter of.
      log(Level.INFO, "%x steps down: no longer a voter", id);
      becomeFollower(term, NONE);
      return cs;
    }
    // The quorum may have shrunk: something may commit now. New members need their first append.
    if (maybeCommit()) {
      bcastAppend();
    } else {
      for (long to : trk.progress.keySet()) {
        if (to != id) {
          maybeSendAppend(to, false);
        }
      }
    }
    if (leadTransferee != NONE && !trk.voters.contains(leadTransferee)) {
      abortLeaderTransfer();
    }
    return cs;
  }

  /** The caller applied/persisted a {@link Ready}: move the log's cursors past it. */
  void advance(Ready rd) {
    if (!rd.committedEntries().isEmpty()) {
      List<Entry> ce = rd.committedEntries();
      raftLog.appliedTo(ce.get(ce.size() - 1).getIndex());
      reduceUncommittedSize(ce);
    } else if (rd.snapshot().isPresent()) {
      raftLog.appliedTo(rd.snapshot().get().getMetadata().getIndex());
    }
    if (!rd.entries().isEmpty()) {
      Entry last = rd.entries().get(rd.entries().size() - 1);
      raftLog.stableTo(last.getIndex(), last.getTerm());
    }
    rd.snapshot().ifPresent(s -> raftLog.stableSnapTo(s.getMetadata().getIndex()));
  }

  // ---------------------------------------------------------------- logging

  private void log(Level level, String format, Object... args) {
    if (logger.isEnabled(level)) {
      logger.log(level, String.format(format, args));
    }
  }
}
