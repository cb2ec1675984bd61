package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Raft §5.3 (log replication), §5.4.2 (commitment), and the leader's flow control. */
class LogReplicationTest {

  static final ConfState THREE = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3)
      .build();

  @Test
  void section5_3_leaderReplicatesEntriesAndCommitsThemOnEveryMember() {
    Net net = Net.of(3);
    net.elect(1);
    net.propose(1, "a");
    net.propose(2, "b"); // forwarded to the leader
    for (long id = 1; id <= 3; id++) {
      assertThat(net.node(id).appliedData()).containsExactly("a", "b");
      assertThat(net.raft(id).raftLog.committed).isEqualTo(3);
    }
  }

  @Test
  void section5_3_followerRejectsAppendWhosePreviousEntryDoesNotMatch() {
    Net net = Net.of(3);
    Raft f = net.raft(2);
    f.step(Message.newBuilder().setType(MessageType.MSG_APP).setFrom(1).setTo(2).setTerm(1)
        .setIndex(5).setLogTerm(1).addEntries(entry(6, 1)).build());
    Message resp = net.node(2).drain().get(0);
    assertThat(resp.getType()).isEqualTo(MessageType.MSG_APP_RESP);
    assertThat(resp.getReject()).isTrue();
    assertThat(resp.getRejectHint()).as("follower's last index").isZero();
    assertThat(f.raftLog.lastIndex()).isZero();
  }

  @Test
  void section5_3_followerOverwritesConflictingUncommittedEntries() {
    MemoryStorage s = new MemoryStorage(THREE);
    s.append(List.of(entry(1, 1), entry(2, 1), entry(3, 1)));
    s.setHardState(HardState.newBuilder().setTerm(1).setCommit(1).build());
    TestNode n = new TestNode(2, s, b -> {});
    n.node.step(Message.newBuilder().setType(MessageType.MSG_APP).setFrom(1).setTo(2).setTerm(2)
        .setIndex(1).setLogTerm(1).addEntries(entry(2, 2)).setCommit(2).build());
    n.drain();
    assertThat(s.lastIndex()).isEqualTo(2);
    assertThat(s.term(2)).isEqualTo(2);
    assertThat(n.raft().raftLog.committed).isEqualTo(2);
  }

  @Test
  void section5_3_fastBacktrackingSkipsAWholeTermPerRoundTrip() {
    // Leader's log: 1..3 at term 1, 4..10 at term 5. Follower: 1..3 at term 1, 4..10 at term 2,
    // 11..20 at term 3. Entry-by-entry backtracking would need 17 rejections.
    List<Entry> leaderLog = new ArrayList<>();
    List<Entry> followerLog = new ArrayList<>();
    for (long i = 1; i <= 20; i++) {
      if (i <= 10) {
        leaderLog.add(entry(i, i <= 3 ? 1 : 5));
      }
      followerLog.add(entry(i, i <= 3 ? 1 : i <= 10 ? 2 : 3));
    }
    Net net = new Net();
    net.nodes.put(1L, node(1, leaderLog, 5));
    net.nodes.put(2L, node(2, followerLog, 3));
    net.nodes.put(3L, node(3, leaderLog, 5));
    net.elect(1);
    long rejections = net.sent.stream()
        .filter(m -> m.getType() == MessageType.MSG_APP_RESP && m.getFrom() == 2 && m.getReject())
        .count();
    assertThat(rejections).isEqualTo(1);
    MemoryStorage follower = net.node(2).storage;
    assertThat(follower.lastIndex()).isEqualTo(11);
    assertThat(follower.term(10)).isEqualTo(5);
    assertThat(follower.term(11)).isEqualTo(6);
  }

  @Test
  void section5_4_2_leaderDoesNotCommitEntriesOfPreviousTermsByCountingReplicas() {
    MemoryStorage s = new MemoryStorage(THREE);
    s.append(List.of(entry(1, 1), entry(2, 2)));
    s.setHardState(HardState.newBuilder().setTerm(2).build());
    TestNode n = new TestNode(1, s, b -> {});
    n.node.campaign();
    n.drain();
    n.node.step(Message.newBuilder().setType(MessageType.MSG_VOTE_RESP).setFrom(2).setTo(1)
        .setTerm(3).build());
    n.drain();
    Raft leader = n.raft();
    assertThat(leader.state).isEqualTo(StateRole.LEADER);
    assertThat(leader.raftLog.lastIndex()).as("the new term's empty entry").isEqualTo(3);
    // A majority (1 and 2) now holds index 2, but it is from term 2: not committed by counting.
    n.node.step(appResp(2, 1, 3, 2));
    n.drain();
    assertThat(leader.raftLog.committed).isZero();
    // Once an entry of term 3 is on a majority, it commits, and everything before it with it.
    n.node.step(appResp(2, 1, 3, 3));
    n.drain();
    assertThat(leader.raftLog.committed).isEqualTo(3);
  }

  @Test
  void followersMoveFromProbeToReplicateAfterTheFirstMatch() {
    Net net = Net.of(3);
    net.campaign(1);
    Status st = net.node(1).node.status();
    assertThat(st.progress()).hasSize(3);
    assertThat(st.progress().get(2L).state()).isEqualTo(ProgressState.REPLICATE);
    assertThat(st.progress().get(2L).match()).isEqualTo(1);
    assertThat(st.progress().get(3L).next()).isEqualTo(2);
  }

  @Test
  void probeStateSendsOneAppendUntilAnswered() {
    Net net = Net.of(3);
    net.dropType(MessageType.MSG_APP_RESP);
    net.campaign(1); // followers never answer, so they stay in probe
    int before = countApps(net, 2);
    net.propose(1, "a");
    net.propose(1, "b");
    assertThat(countApps(net, 2)).isEqualTo(before);
    assertThat(net.node(1).node.status().progress().get(2L).paused()).isTrue();
  }

  @Test
  void inflightWindowPausesReplicationUntilAcknowledged() {
    Net net = Net.of(3, b -> b.maxInflightMsgs(2));
    net.elect(1);
    net.drop(m -> m.getType() == MessageType.MSG_APP_RESP && m.getFrom() == 2);
    int before = countAppsWithEntries(net, 2);
    for (int i = 0; i < 5; i++) {
      net.propose(1, "p" + i);
    }
    assertThat(countAppsWithEntries(net, 2) - before).as("window of 2").isEqualTo(2);
    PeerProgress pr = net.node(1).node.status().progress().get(2L);
    assertThat(pr.state()).isEqualTo(ProgressState.REPLICATE);
    assertThat(pr.inflight()).isEqualTo(2);
    assertThat(pr.paused()).isTrue();
    // 3 keeps acknowledging, so the entries commit anyway.
    assertThat(net.node(1).appliedData()).hasSize(5);
    // Once acknowledgements flow again, 2 catches up.
    net.heal();
    net.tickAll(1);
    assertThat(net.node(2).appliedData()).hasSize(5);
  }

  @Test
  void appendsAreBatchedUpToMaxSizePerMsg() {
    Net net = Net.of(3, b -> b.maxSizePerMsg(250));
    net.elect(1);
    net.isolate(2);
    String payload = "x".repeat(100);
    for (int i = 0; i < 9; i++) {
      net.propose(1, payload);
    }
    net.heal();
    int first = net.sent.size();
    net.tickAll(3);
    List<Message> apps = net.sent.subList(first, net.sent.size()).stream()
        .filter(m -> m.getType() == MessageType.MSG_APP && m.getTo() == 2
            && m.getEntriesCount() > 0)
        .toList();
    // Two 100-byte entries fit in 250 bytes, three do not: 9 entries travel in 5 messages.
    assertThat(apps).extracting(Message::getEntriesCount).containsExactly(2, 2, 2, 2, 1);
    assertThat(net.node(2).appliedData()).hasSize(9);
  }

  @Test
  void aProposalBatchIsAppendedTogetherAndTravelsInOneMessage() {
    Net net = Net.of(3);
    net.elect(1);
    int before = countAppsWithEntries(net, 2);
    net.node(1).node.propose(List.of("a".getBytes(), "b".getBytes(), "c".getBytes()));
    net.flush();
    assertThat(countAppsWithEntries(net, 2) - before).isEqualTo(1);
    assertThat(net.node(2).appliedData()).containsExactly("a", "b", "c");
    assertThatThrownBy(() -> net.node(1).node.propose(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unreachableFollowerFallsBackToProbe() {
    Net net = Net.of(3);
    net.elect(1);
    net.node(1).node.reportUnreachable(2);
    assertThat(net.node(1).node.status().progress().get(2L).state())
        .isEqualTo(ProgressState.PROBE);
  }

  @Test
  void staleRejectionIsIgnored() {
    Progress pr = new Progress(5, 10, 4, false);
    pr.becomeReplicate();
    assertThat(pr.maybeDecrTo(4, 4)).as("rejects an index already matched").isFalse();
    assertThat(pr.next).isEqualTo(6);
    Progress probe = new Progress(0, 10, 4, false);
    assertThat(probe.maybeDecrTo(5, 3)).as("not the latest probe (9)").isFalse();
    assertThat(probe.maybeDecrTo(9, 3)).isTrue();
    assertThat(probe.next).isEqualTo(4);
  }

  @Test
  void proposalsBeyondTheUncommittedLimitAreDropped() {
    Net net = Net.of(3, b -> b.maxUncommittedEntriesSize(100));
    net.elect(1);
    net.isolate(1); // nothing commits
    RawNode leader = net.node(1).node;
    leader.propose(new byte[60]);
    leader.propose(new byte[30]);
    assertThatThrownBy(() -> leader.propose(new byte[20]))
        .isInstanceOf(ProposalDroppedException.class)
        .hasMessageContaining("maxUncommittedEntriesSize");
    net.heal();
    net.flush();
    net.tickAll(2);
    leader.propose(new byte[20]); // the earlier ones committed, there is room again
  }

  @Test
  void followerWithoutLeaderDropsProposals() {
    Net net = Net.of(3);
    assertThatThrownBy(() -> net.node(2).node.propose(new byte[] {1}))
        .isInstanceOf(ProposalDroppedException.class)
        .hasMessageContaining("no leader")
        .extracting(e -> ((ProposalDroppedException) e).cause())
        .isEqualTo(ProposalDroppedException.Cause.NO_LEADER);
  }

  static int countApps(Net net, long to) {
    return (int) net.sent.stream()
        .filter(m -> m.getType() == MessageType.MSG_APP && m.getTo() == to).count();
  }

  static int countAppsWithEntries(Net net, long to) {
    return (int) net.sent.stream()
        .filter(m -> m.getType() == MessageType.MSG_APP && m.getTo() == to
            && m.getEntriesCount() > 0).count();
  }

  static Message appResp(long from, long to, long term, long index) {
    return Message.newBuilder().setType(MessageType.MSG_APP_RESP).setFrom(from).setTo(to)
        .setTerm(term).setIndex(index).build();
  }

  static Entry entry(long index, long term) {
    return Entry.newBuilder().setIndex(index).setTerm(term).build();
  }

  private static TestNode node(long id, List<Entry> log, long term) {
    MemoryStorage s = new MemoryStorage(THREE);
    s.append(log);
    s.setHardState(HardState.newBuilder().setTerm(term).build());
    return new TestNode(id, s, b -> {});
  }
}
