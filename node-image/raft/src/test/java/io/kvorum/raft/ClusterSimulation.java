package io.kvorum.raft;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.ConfChange;
import io.kvorum.raft.pb.ConfChangeType;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.EntryType;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import io.kvorum.raft.pb.Snapshot;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One deterministic run of a Raft cluster under faults, fully determined by its seed.
 *
 * <p>Time advances in units; a member ticks every {@value #TICK} units (electionTick 10, so an
 * election timeout is 100-200 units). The network delivers each message after a random delay
 * (so messages reorder), drops and duplicates some, and partitions the members for a while.
 * Members crash and restart from their {@link MemoryStorage} (only what a Ready told them to
 * persist survives), compact their logs into snapshots, serve read index requests, and now and
 * then the leader adds a learner, promotes it or removes a voter (itself included). After every
 * event the {@link SafetyChecker} properties hold, or the run fails.
 *
 * <p>Then the network heals, every member restarts, and within a bounded time a leader must be
 * elected and a new proposal must reach every member (liveness).
 */
final class ClusterSimulation {

  static final int TICK = 10;
  static final int FAULT_PHASE_UNITS = 2_500;
  static final int LIVENESS_LIMIT_UNITS = 6_000;

  private record InFlight(long at, long seq, Message m) {}

  private record TraceEvent(long time, String what, Message m) {}

  final long seed;
  private final SplittableRandom rng;
  private final SafetyChecker checker = new SafetyChecker();
  private final int size;
  private final boolean preVote;
  private final boolean checkQuorum;
  private final long maxSizePerMsg;
  private final int maxInflight;
  private double dropRate;
  private double dupRate;
  private final int maxDelay;
  private final TreeMap<Long, SimNode> nodes = new TreeMap<>();
  private final Set<Long> removed = new HashSet<>();
  private final PriorityQueue<InFlight> network =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
          : Long.compare(a.seq, b.seq));
  private Map<Long, Integer> partition;
  private long partitionUntil;
  private long now;
  private long seq;
  private int proposalCounter;
  private final Map<ByteString, Long> readRequests = new HashMap<>();
  private final ArrayDeque<TraceEvent> trace = new ArrayDeque<>();
  private ByteString livenessToken;
  /** The log index at which the liveness token was applied, once it was. */
  private long livenessIndex = Long.MAX_VALUE;
  /** What happened, for the summary line. */
  final Map<String, Integer> stats = new TreeMap<>();

  ClusterSimulation(long seed) {
    this.seed = seed;
    this.rng = new SplittableRandom(seed);
    this.size = seed % 2 == 0 ? 3 : 5;
    this.preVote = rng.nextBoolean();
    this.checkQuorum = rng.nextBoolean();
    this.maxSizePerMsg = new long[] {64, 512, 1 << 20}[rng.nextInt(3)];
    this.maxInflight = 1 + rng.nextInt(8);
    this.dropRate = rng.nextDouble() * 0.2;
    this.dupRate = rng.nextDouble() * 0.1;
    this.maxDelay = 1 + rng.nextInt(25);
  }

  /** Runs the fault phase and the liveness phase; throws AssertionError on any violation. */
  void run() {
    List<Long> voters = new ArrayList<>();
    for (long id = 1; id <= size; id++) {
      voters.add(id);
    }
    for (long id : voters) {
      SimNode n = new SimNode(id, new MemoryStorage());
      nodes.put(id, n);
      n.start();
      n.raw.bootstrap(voters);
      n.drain();
    }
    try {
      for (; now < FAULT_PHASE_UNITS; now++) {
        injectFaults();
        stepUnit();
      }
      heal();
      long deadline = now + LIVENESS_LIMIT_UNITS;
      for (; now < deadline && !live(); now++) {
        stepUnit();
        maybeCompact(1);
      }
      if (!live()) {
        throw new AssertionError("liveness: after healing, no leader committed a new proposal "
            + "to every member within " + LIVENESS_LIMIT_UNITS + " units");
      }
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(describeFailure(e), e);
    }
  }

  // ------------------------------------------------------------------ the event loop

  private void stepUnit() {
    while (!network.isEmpty() && network.peek().at <= now) {
      deliver(network.poll().m);
      checkLeaders();
    }
    for (SimNode n : nodes.values()) {
      if (n.raw != null && (now + n.id) % TICK == 0) {
        n.raw.tick();
        n.drain();
        checkLeaders();
      }
    }
  }

  private void injectFaults() {
    if (partition == null && rng.nextInt(800) == 0) {
      partition = new HashMap<>();
      for (long id : nodes.keySet()) {
        partition.put(id, rng.nextInt(2));
      }
      partitionUntil = now + 100 + rng.nextInt(1400);
      count("partitions");
    } else if (partition != null && now >= partitionUntil) {
      partition = null;
    }
    for (SimNode n : nodes.values()) {
      if (n.raw == null && now >= n.downUntil && !removed.contains(n.id)) {
        n.start();
        count("restarts");
      }
    }
    if (rng.nextInt(1000) == 0) {
      SimNode victim = randomLiveNode();
      if (victim != null) {
        victim.raw = null;
        victim.downUntil = now + 50 + rng.nextInt(1450);
        trace("crash " + victim.id, null);
        count("crashes");
      }
    }
    if (rng.nextInt(15) == 0) {
      SimNode n = randomLiveNode();
      if (n != null) {
        propose(n, ByteString.copyFromUtf8("s" + seed + "-" + proposalCounter++));
      }
    }
    if (rng.nextInt(60) == 0) {
      SimNode n = randomLiveNode();
      if (n != null) {
        requestRead(n);
      }
    }
    maybeCompact(8);
    if (rng.nextInt(500) == 0) {
      changeMembership();
    }
  }

  private void heal() {
    partition = null;
    dropRate = 0;
    dupRate = 0;
    for (SimNode n : nodes.values()) {
      if (n.raw == null && !removed.contains(n.id)) {
        n.start();
      }
    }
  }

  /** Whether a leader exists and every live member of its configuration applied the token. */
  private boolean live() {
    SimNode leader = liveLeader();
    if (leader == null) {
      return false;
    }
    if (livenessToken == null || leader.lastLivenessProposal + 50 * TICK < now) {
      if (livenessToken == null) {
        livenessToken = ByteString.copyFromUtf8("live-" + seed);
      }
      if (livenessIndex == Long.MAX_VALUE) {
        leader.lastLivenessProposal = now;
        propose(leader, livenessToken);
      }
    }
    // A member may get the token inside a snapshot: what counts is having applied its index.
    List<Long> members = new ArrayList<>(leader.conf.getVotersList());
    members.addAll(leader.conf.getLearnersList());
    for (long id : members) {
      if (!removed.contains(id) && nodes.get(id).applied < livenessIndex) {
        return false;
      }
    }
    return true;
  }

  private void send(long from, Message m) {
    if (rng.nextDouble() < dropRate) {
      trace("drop", m);
      lost(m);
      return;
    }
    schedule(m, now + 1 + rng.nextInt(maxDelay));
    if (rng.nextDouble() < dupRate) {
      schedule(m, now + 1 + rng.nextInt(maxDelay));
      count("duplicates");
    }
  }

  private void schedule(Message m, long at) {
    network.add(new InFlight(at, seq++, m));
  }

  /** A message did not arrive: the transport tells the sender what a real one could know. */
  private void lost(Message m) {
    if (m.getType() == MessageType.MSG_SNAP) {
      schedule(report(MessageType.MSG_SNAP_STATUS, m.getFrom(), m.getTo(), true), now + 1);
    } else if (m.getType() == MessageType.MSG_APP && rng.nextInt(4) == 0) {
      schedule(report(MessageType.MSG_UNREACHABLE, m.getFrom(), m.getTo(), false), now + 1);
    }
  }

  private static Message report(MessageType type, long to, long peer, boolean failed) {
    return Message.newBuilder().setType(type).setTo(to).setFrom(peer).setReject(failed).build();
  }

  private void deliver(Message m) {
    SimNode to = nodes.get(m.getTo());
    if (to == null || to.raw == null) {
      lost(m);
      return;
    }
    switch (m.getType()) {
      case MSG_SNAP_STATUS -> {
        to.raw.reportSnapshot(m.getFrom(), !m.getReject());
        to.drain();
        return;
      }
      case MSG_UNREACHABLE -> {
        to.raw.reportUnreachable(m.getFrom());
        to.drain();
        return;
      }
      default -> {}
    }
    if (partition != null
        && !partition.getOrDefault(m.getFrom(), 0).equals(partition.getOrDefault(m.getTo(), 0))) {
      trace("cut", m);
      lost(m);
      return;
    }
    trace("deliver", m);
    try {
      to.raw.step(m);
    } catch (ProposalDroppedException e) {
      count("forwarded proposals dropped by a leadership transfer");
    }
    to.drain();
    if (m.getType() == MessageType.MSG_SNAP) {
      count("snapshots sent");
      schedule(report(MessageType.MSG_SNAP_STATUS, m.getFrom(), m.getTo(), false), now + 1);
    }
  }

  private void checkLeaders() {
    for (SimNode n : nodes.values()) {
      if (n.raw == null || n.role() != StateRole.LEADER) {
        continue;
      }
      long term = n.raw.raft().term;
      checker.onLeader(n.id, term);
      if (n.leaderCheckedTerm != term) {
        n.leaderCheckedTerm = term;
        count("leaders");
        checker.checkLeaderCompleteness(n.id, term, n.base, n::prefixAt);
      }
    }
  }

  // ------------------------------------------------------------------ client actions

  private void propose(SimNode n, ByteString data) {
    try {
      n.raw.propose(data.toByteArray());
      count("proposals accepted");
    } catch (ProposalDroppedException e) {
      count("proposals dropped");
    }
    n.drain();
  }

  private void requestRead(SimNode n) {
    ByteString ctx = ByteString.copyFromUtf8("r" + seq++);
    // Everything committed before the request must be covered by its answer.
    readRequests.put(ctx, checker.committedSize() - 1);
    try {
      n.raw.readIndex(ctx.toByteArray());
    } catch (ProposalDroppedException e) {
      readRequests.remove(ctx);
    }
    n.drain();
  }

  /**
   * Now and then a member snapshots its state and compacts its log, if it applied at least
   * {@code minEntries} since its last snapshot. A real server snapshots periodically too; that
   * also matters for a member added after the latest snapshot, which cannot restore a snapshot
   * whose configuration does not include it and needs a newer one.
   */
  private void maybeCompact(int minEntries) {
    if (rng.nextInt(100) != 0) {
      return;
    }
    SimNode n = randomLiveNode();
    if (n == null) {
      return;
    }
    long snapIndex = n.storage.snapshot().getMetadata().getIndex();
    if (n.applied - snapIndex < minEntries) {
      return;
    }
    n.storage.createSnapshot(n.applied, n.conf,
        ByteString.copyFrom(ByteBuffer.allocate(8).putLong(n.stateHash).array()));
    // Keep a few entries so that slightly lagging followers still catch up from the log.
    long compactTo = n.applied - rng.nextInt(5);
    if (compactTo >= n.storage.firstIndex()) {
      n.storage.compact(compactTo);
      n.rebase(compactTo);
    }
    count("compactions");
  }

  private void changeMembership() {
    SimNode leader = liveLeader();
    if (leader == null) {
      return;
    }
    ConfState cs = leader.conf;
    ConfChange cc;
    if (cs.getLearnersCount() > 0) {
      cc = change(ConfChangeType.CONF_CHANGE_ADD_NODE, cs.getLearners(0));
    } else if (cs.getVotersCount() < size + 1 && nodes.size() < size + 2) {
      long joiner = nodes.lastKey() + 1;
      SimNode n = new SimNode(joiner, new MemoryStorage());
      nodes.put(joiner, n);
      n.start();
      cc = change(ConfChangeType.CONF_CHANGE_ADD_LEARNER_NODE, joiner);
    } else if (cs.getVotersCount() > 3) {
      cc = change(ConfChangeType.CONF_CHANGE_REMOVE_NODE,
          cs.getVoters(rng.nextInt(cs.getVotersCount())));
    } else {
      return;
    }
    try {
      leader.raw.proposeConfChange(cc);
      count("conf changes proposed");
    } catch (ProposalDroppedException e) {
      count("conf changes refused");
    }
    leader.drain();
  }

  private static ConfChange change(ConfChangeType type, long id) {
    return ConfChange.newBuilder().setType(type).setNodeId(id).build();
  }

  /** A running member that believes it leads (the one with the highest id, if several). */
  private SimNode liveLeader() {
    SimNode leader = null;
    for (SimNode n : nodes.values()) {
      if (n.raw != null && n.role() == StateRole.LEADER) {
        leader = n;
      }
    }
    return leader;
  }

  private SimNode randomLiveNode() {
    List<SimNode> live = new ArrayList<>();
    for (SimNode n : nodes.values()) {
      if (n.raw != null) {
        live.add(n);
      }
    }
    return live.isEmpty() ? null : live.get(rng.nextInt(live.size()));
  }

  private void count(String what) {
    stats.merge(what, 1, Integer::sum);
  }

  private void trace(String what, Message m) {
    if (trace.size() == 40) {
      trace.pollFirst();
    }
    trace.addLast(new TraceEvent(now, what, m));
  }

  private String describeFailure(Throwable e) {
    StringBuilder sb = new StringBuilder();
    sb.append("seed ").append(seed).append(" failed at time ").append(now).append(": ")
        .append(e.getMessage()).append('\n');
    sb.append(String.format("  %d members, preVote=%s, checkQuorum=%s, maxSizePerMsg=%d,"
            + " maxInflight=%d, drop=%.2f, dup=%.2f, maxDelay=%d%n", size, preVote, checkQuorum,
        maxSizePerMsg, maxInflight, dropRate, dupRate, maxDelay));
    for (SimNode n : nodes.values()) {
      sb.append("  member ").append(n.id).append(n.raw == null ? " down" : " " + n.role())
          .append(" storage[first ").append(n.storage.firstIndex()).append(", last ")
          .append(n.storage.lastIndex()).append(", hs ")
          .append(n.storage.hardState().toString().replace('\n', ' ')).append("] applied ")
          .append(n.applied).append(" conf ").append(n.conf.toString().replace('\n', ' '))
          .append('\n');
    }
    sb.append("  last events:\n");
    for (TraceEvent t : trace) {
      Message m = t.m();
      sb.append("    t=").append(t.time()).append(' ').append(t.what());
      if (m != null) {
        sb.append(' ').append(m.getType()).append(' ').append(m.getFrom()).append("->")
            .append(m.getTo()).append(" term ").append(m.getTerm()).append(" index ")
            .append(m.getIndex()).append(" logTerm ").append(m.getLogTerm()).append(" commit ")
            .append(m.getCommit()).append(" entries ").append(m.getEntriesCount())
            .append(m.getReject() ? " reject" : "");
      }
      sb.append('\n');
    }
    sb.append("  replay: ./mvnw -B -pl node-image/raft test -Dtest=ClusterSimulationTest"
        + " -Draft.sim.seed=").append(seed);
    return sb.toString();
  }

  static long mix(long h, Entry e) {
    long x = h * 0x9E3779B97F4A7C15L;
    x += e.getTerm() * 0xC2B2AE3D27D4EB4FL;
    x += e.getIndex() * 0x165667B19E3779F9L;
    x += (long) e.getData().hashCode() * 0x27D4EB2F165667C5L + e.getTypeValue();
    x ^= x >>> 33;
    x *= 0xFF51AFD7ED558CCDL;
    x ^= x >>> 33;
    return x;
  }

  // ------------------------------------------------------------------ a member

  /** A member: its durable storage, and while it runs, its RawNode and state machine. */
  private final class SimNode {
    final long id;
    final MemoryStorage storage;
    RawNode raw;
    long downUntil;
    long stateHash;
    long applied;
    ConfState conf = ConfState.getDefaultInstance();
    long leaderCheckedTerm = -1;
    long lastLivenessProposal;
    /** The persisted log as prefix hashes: prefix.get(i - base) summarizes entries 1..i. */
    long base;
    final SafetyChecker.LongList prefix = new SafetyChecker.LongList();
    final SafetyChecker.LongList terms = new SafetyChecker.LongList();
    long commitChecked;

    SimNode(long id, MemoryStorage storage) {
      this.id = id;
      this.storage = storage;
    }

    StateRole role() {
      return raw.raft().state;
    }

    /** Starts from what was persisted: the snapshot is the state machine, the log follows. */
    void start() {
      Snapshot snap = storage.snapshot();
      long snapIndex = snap.getMetadata().getIndex();
      raw = new RawNode(Config.builder(id, storage)
          .electionTick(10)
          .heartbeatTick(1)
          .applied(snapIndex)
          .preVote(preVote)
          .checkQuorum(checkQuorum)
          .maxSizePerMsg(maxSizePerMsg)
          .maxInflightMsgs(maxInflight)
          .random(new SplittableRandom(rng.nextLong()))
          .build());
      applied = snapIndex;
      stateHash = snapIndex == 0 ? 0 : ByteBuffer.wrap(snap.getData().toByteArray()).getLong();
      conf = snap.getMetadata().getConfState();
      leaderCheckedTerm = -1;
      long logBase = storage.firstIndex() - 1; // May be below the snapshot: entries kept.
      resetMirror(logBase, storage.term(logBase));
      appendToMirror(storage.entries(storage.firstIndex(), storage.lastIndex() + 1,
          Long.MAX_VALUE));
      commitChecked = base;
      checkCommitted(storage.hardState().getCommit());
      trace("start " + id, null);
    }

    void resetMirror(long index, long term) {
      Long p = checker.prefixOf(index, term);
      if (p == null) {
        throw new AssertionError("member " + id + " holds snapshot " + index + "/" + term
            + " of an entry nobody persisted");
      }
      base = index;
      prefix.truncate(0);
      terms.truncate(0);
      prefix.add(p);
      terms.add(term);
    }

    void rebase(long newBase) {
      int drop = (int) (newBase - base);
      SafetyChecker.LongList p = new SafetyChecker.LongList();
      SafetyChecker.LongList t = new SafetyChecker.LongList();
      for (int i = drop; i < prefix.size(); i++) {
        p.add(prefix.get(i));
        t.add(terms.get(i));
      }
      prefix.truncate(0);
      terms.truncate(0);
      for (int i = 0; i < p.size(); i++) {
        prefix.add(p.get(i));
        terms.add(t.get(i));
      }
      base = newBase;
    }

    Long prefixAt(long index) {
      if (index < base || index - base >= prefix.size()) {
        return null;
      }
      return prefix.get((int) (index - base));
    }

    void appendToMirror(List<Entry> ents) {
      for (Entry e : ents) {
        if (e.getIndex() <= base) {
          continue;
        }
        int pos = (int) (e.getIndex() - base);
        if (pos > prefix.size()) {
          throw new AssertionError("member " + id + " persisted a gap before " + e.getIndex());
        }
        prefix.truncate(pos);
        terms.truncate(pos);
        long p = mix(prefix.get(pos - 1), e);
        prefix.add(p);
        terms.add(e.getTerm());
        checker.onPersisted(id, e.getIndex(), e.getTerm(), p);
      }
    }

    void checkCommitted(long commit) {
      for (long i = Math.max(commitChecked + 1, base); i <= commit; i++) {
        checker.onCommitted(id, i, terms.get((int) (i - base)), prefix.get((int) (i - base)));
      }
      commitChecked = Math.max(commitChecked, commit);
    }

    /** Handles every Ready as the contract says: persist, send, apply, advance. */
    void drain() {
      while (raw != null && raw.hasReady()) {
        Ready rd = raw.ready();
        rd.snapshot().ifPresent(s -> {
          storage.applySnapshot(s);
          resetMirror(s.getMetadata().getIndex(), s.getMetadata().getTerm());
          commitChecked = base - 1;
        });
        storage.append(rd.entries());
        appendToMirror(rd.entries());
        rd.hardState().ifPresent(storage::setHardState);
        checkCommitted(storage.hardState().getCommit());
        for (Message m : rd.messages()) {
          send(id, m);
        }
        rd.snapshot().ifPresent(s -> {
          applied = s.getMetadata().getIndex();
          stateHash = ByteBuffer.wrap(s.getData().toByteArray()).getLong();
          conf = s.getMetadata().getConfState();
          checker.onApplied(id, applied, stateHash);
        });
        for (Entry e : rd.committedEntries()) {
          apply(e);
        }
        for (ReadState rs : rd.readStates()) {
          Long mustCover = readRequests.remove(rs.requestContext());
          if (mustCover != null && rs.index() < mustCover) {
            throw new AssertionError("read index: member " + id + " answered " + rs.index()
                + " but " + mustCover + " was committed before the request");
          }
          count("reads answered");
        }
        raw.advance();
      }
      for (long r : removed) {
        SimNode n = nodes.get(r);
        if (n != null && n.raw != null && n != this) {
          n.raw = null;
        }
      }
      if (removed.contains(id)) {
        raw = null;
      }
    }

    private void apply(Entry e) {
      if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
        ConfChange cc = Raft.decodeConfChange(e);
        conf = raw.applyConfChange(cc);
        if (cc.getType() == ConfChangeType.CONF_CHANGE_REMOVE_NODE) {
          removed.add(cc.getNodeId());
        }
        count("conf changes applied");
      } else if (e.getData().equals(livenessToken)) {
        livenessIndex = Math.min(livenessIndex, e.getIndex());
      }
      stateHash = mix(stateHash, e);
      applied = e.getIndex();
      checker.onApplied(id, applied, stateHash);
    }
  }
}
