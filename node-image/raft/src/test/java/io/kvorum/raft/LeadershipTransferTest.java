package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import org.junit.jupiter.api.Test;

/** Thesis §3.10: leadership transfer. */
class LeadershipTransferTest {

  @Test
  void thesis3_10_upToDateTargetIsToldToCampaignAtOnce() {
    Net net = Net.of(3);
    net.elect(1);
    net.node(1).node.transferLeader(2);
    net.flush();
    assertThat(net.sent).anySatisfy(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_TIMEOUT_NOW);
      assertThat(m.getTo()).isEqualTo(2);
    });
    assertThat(net.raft(2).state).isEqualTo(StateRole.LEADER);
    assertThat(net.raft(2).term).isEqualTo(2);
    assertThat(net.raft(1).state).isEqualTo(StateRole.FOLLOWER);
    assertThat(net.raft(1).lead).isEqualTo(2);
  }

  @Test
  void thesis3_10_laggingTargetIsCaughtUpBeforeTheTimeoutNow() {
    Net net = Net.of(3);
    net.elect(1);
    net.isolate(3);
    net.propose(1, "a");
    net.propose(1, "b");
    net.heal();
    net.node(1).node.transferLeader(3);
    int firstTimeoutNow = -1;
    net.flush();
    for (int i = 0; i < net.sent.size(); i++) {
      if (net.sent.get(i).getType() == MessageType.MSG_TIMEOUT_NOW) {
        firstTimeoutNow = i;
        break;
      }
    }
    assertThat(firstTimeoutNow).isPositive();
    // Before the leader said "campaign now", 3 had acknowledged the leader's whole log: the
    // empty entry of term 1, "a" and "b" (index 3).
    assertThat(net.sent.subList(0, firstTimeoutNow)).anySatisfy(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_APP_RESP);
      assertThat(m.getFrom()).isEqualTo(3);
      assertThat(m.getIndex()).isEqualTo(3);
    });
    assertThat(net.raft(3).state).isEqualTo(StateRole.LEADER);
    assertThat(net.node(3).appliedData()).containsExactly("a", "b");
  }

  @Test
  void thesis3_10_proposalsAreDroppedWhileATransferIsInProgress() {
    Net net = Net.of(3);
    net.elect(1);
    net.isolate(3); // the transfer cannot finish
    net.node(1).node.transferLeader(3);
    net.flush();
    assertThat(net.node(1).node.status().leadTransferee()).isEqualTo(3);
    assertThatThrownBy(() -> net.node(1).node.propose(new byte[] {1}))
        .isInstanceOf(ProposalDroppedException.class)
        .hasMessageContaining("being transferred")
        .extracting(e -> ((ProposalDroppedException) e).cause())
        .isEqualTo(ProposalDroppedException.Cause.LEADERSHIP_TRANSFER);
    // One a follower forwards is refused the same way, so its member can hold it for the next leader.
    Message forwarded = Message.newBuilder().setType(MessageType.MSG_PROP).setFrom(2).setTo(1)
        .addEntries(Entry.newBuilder().setData(ByteString.copyFromUtf8("f"))).build();
    assertThatThrownBy(() -> net.node(1).node.step(forwarded))
        .isInstanceOf(ProposalDroppedException.class)
        .extracting(e -> ((ProposalDroppedException) e).cause())
        .isEqualTo(ProposalDroppedException.Cause.LEADERSHIP_TRANSFER);
  }

  @Test
  void thesis3_10_transferIsAbortedAfterAnElectionTimeout() {
    Net net = Net.of(3);
    net.elect(1);
    net.isolate(3);
    net.node(1).node.transferLeader(3);
    net.flush();
    net.tick(1, net.raft(1).electionTimeout);
    assertThat(net.node(1).node.status().leadTransferee()).isZero();
    assertThat(net.raft(1).state).isEqualTo(StateRole.LEADER);
    net.propose(1, "again");
    assertThat(net.node(2).appliedData()).containsExactly("again");
  }

  @Test
  void thesis3_10_timeoutNowBypassesTheLeaderLeaseAndPreVote() {
    Net net = Net.of(3, b -> b.checkQuorum(true).preVote(true));
    net.elect(1);
    net.node(1).node.transferLeader(2);
    net.flush();
    assertThat(net.raft(2).state).isEqualTo(StateRole.LEADER);
  }

  @Test
  void transferRequestOnAFollowerIsForwardedToTheLeader() {
    Net net = Net.of(3);
    net.elect(1);
    net.node(3).node.transferLeader(3);
    net.flush();
    assertThat(net.raft(3).state).isEqualTo(StateRole.LEADER);
  }

  @Test
  void transferToALearnerIsIgnored() {
    ConfState cs = ConfState.newBuilder().addVoters(1).addVoters(2).addLearners(3).build();
    Net net = new Net();
    for (long id = 1; id <= 3; id++) {
      net.nodes.put(id, new TestNode(id, new MemoryStorage(cs), b -> {}));
    }
    net.elect(1);
    net.node(1).node.transferLeader(3);
    net.flush();
    assertThat(net.raft(1).state).isEqualTo(StateRole.LEADER);
    assertThat(net.node(1).node.status().leadTransferee()).isZero();
  }

  @Test
  void transferToItselfIsIgnored() {
    Net net = Net.of(3);
    net.elect(1);
    net.node(1).node.transferLeader(1);
    net.flush();
    assertThat(net.node(1).node.status().leadTransferee()).isZero();
    net.propose(1, "fine");
  }
}
