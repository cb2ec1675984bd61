package io.kvorum.raft;

import static io.kvorum.raft.TestNode.change;
import static io.kvorum.raft.pb.ConfChangeType.CONF_CHANGE_ADD_LEARNER_NODE;
import static io.kvorum.raft.pb.ConfChangeType.CONF_CHANGE_ADD_NODE;
import static io.kvorum.raft.pb.ConfChangeType.CONF_CHANGE_REMOVE_NODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.MessageType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Thesis §4.1 (single-server membership changes) and §4.2.1 (learners / catching up). */
class MembershipChangeTest {

  /** A cluster bootstrapped through the log, so members added later learn everything. */
  static Net bootstrapped(int voters, int total) {
    Net net = new Net();
    List<Long> ids = new java.util.ArrayList<>();
    for (long i = 1; i <= voters; i++) {
      ids.add(i);
    }
    for (long id = 1; id <= total; id++) {
      TestNode n = new TestNode(id, new MemoryStorage(), b -> {});
      if (id <= voters) {
        n.node.bootstrap(ids);
      }
      net.nodes.put(id, n);
    }
    net.flush();
    return net;
  }

  @Test
  void thesis4_1_addVoterAndItCountsInTheQuorum() {
    Net net = bootstrapped(3, 4);
    net.elect(1);
    net.node(1).node.proposeConfChange(change(CONF_CHANGE_ADD_NODE, 4));
    net.flush();
    assertThat(net.node(1).confState.getVotersList()).containsExactly(1L, 2L, 3L, 4L);
    assertThat(net.node(4).confState.getVotersList()).as("the new member learned it from the log")
        .containsExactly(1L, 2L, 3L, 4L);
    // With 4 voters a majority is 3: two members down means no commit.
    net.isolate(3);
    net.isolate(4);
    net.propose(1, "x");
    assertThat(net.node(1).appliedData()).isEmpty();
    net.heal();
    net.tickAll(1);
    assertThat(net.node(1).appliedData()).containsExactly("x");
  }

  @Test
  void thesis4_1_removeVoterShrinksTheQuorum() {
    Net net = bootstrapped(3, 3);
    net.elect(1);
    net.node(1).node.proposeConfChange(change(CONF_CHANGE_REMOVE_NODE, 3));
    net.flush();
    assertThat(net.node(1).confState.getVotersList()).containsExactly(1L, 2L);
    net.isolate(3);
    net.propose(1, "y");
    assertThat(net.node(2).appliedData()).containsExactly("y");
    assertThat(net.node(1).node.status().progress()).doesNotContainKey(3L);
  }

  @Test
  void thesis4_2_1_learnerReplicatesButNeverVotesNorCountsForCommit() {
    Net net = bootstrapped(3, 4);
    net.elect(1);
    net.node(1).node.proposeConfChange(change(CONF_CHANGE_ADD_LEARNER_NODE, 4));
    net.flush();
    assertThat(net.node(1).confState.getLearnersList()).containsExactly(4L);
    net.propose(1, "a");
    assertThat(net.node(4).appliedData()).containsExactly("a");
    assertThat(net.node(1).node.status().progress().get(4L).learner()).isTrue();
    // Not counted: with 2 and 3 down, the leader and the learner are not a majority of 3.
    net.isolate(2);
    net.isolate(3);
    net.propose(1, "b");
    assertThat(net.node(1).appliedData()).containsExactly("a");
    // Never votes and never campaigns.
    net.heal();
    net.isolate(1);
    net.tick(4, 100);
    assertThat(net.raft(4).state).isEqualTo(StateRole.FOLLOWER);
    assertThat(net.sent).noneMatch(m -> m.getType() == MessageType.MSG_VOTE_RESP
        && m.getFrom() == 4);
  }

  @Test
  void thesis4_2_1_promotedLearnerBecomesAVoter() {
    Net net = bootstrapped(3, 4);
    net.elect(1);
    net.node(1).node.proposeConfChange(change(CONF_CHANGE_ADD_LEARNER_NODE, 4));
    net.flush();
    net.node(1).node.proposeConfChange(change(CONF_CHANGE_ADD_NODE, 4));
    net.flush();
    assertThat(net.node(4).confState.getVotersList()).contains(4L);
    assertThat(net.node(4).confState.getLearnersList()).isEmpty();
    assertThat(net.raft(4).isLearner).isFalse();
    net.isolate(1);
    net.campaign(4);
    assertThat(net.raft(4).state).isEqualTo(StateRole.LEADER);
  }

  @Test
  void thesis4_1_onlyOneChangeMayBePendingAtATime() {
    Net net = bootstrapped(3, 5);
    net.elect(1);
    net.isolate(2);
    net.isolate(3); // nothing commits, so the first change stays pending
    RawNode leader = net.node(1).node;
    leader.proposeConfChange(change(CONF_CHANGE_ADD_LEARNER_NODE, 4));
    assertThatThrownBy(() -> leader.proposeConfChange(change(CONF_CHANGE_ADD_LEARNER_NODE, 5)))
        .isInstanceOf(ProposalDroppedException.class)
        .hasMessageContaining("not applied yet");
    net.heal();
    net.flush();
    net.tickAll(1);
    assertThat(net.node(1).confState.getLearnersList()).containsExactly(4L);
    leader.proposeConfChange(change(CONF_CHANGE_ADD_LEARNER_NODE, 5)); // applied: accepted now
    net.flush();
    assertThat(net.node(1).confState.getLearnersList()).containsExactly(4L, 5L);
  }

  @Test
  void thesis4_1_newLeaderWaitsUntilEarlierChangesAreApplied() {
    Net net = bootstrapped(3, 5);
    net.elect(1);
    // 2 gets a configuration change that nobody learns is committed.
    net.cut(1, 3);
    net.drop(m -> m.getType() == MessageType.MSG_APP_RESP && m.getFrom() == 2);
    net.node(1).node.proposeConfChange(change(CONF_CHANGE_ADD_LEARNER_NODE, 4));
    net.flush();
    long changeIndex = net.raft(2).raftLog.lastIndex();
    assertThat(net.raft(2).raftLog.committed).isLessThan(changeIndex);
    // 2 wins the next election, but its first entry does not reach anyone yet.
    net.heal();
    net.isolate(1);
    net.dropType(MessageType.MSG_APP);
    net.campaign(2);
    assertThat(net.raft(2).state).isEqualTo(StateRole.LEADER);
    assertThat(net.raft(2).pendingConfIndex).isEqualTo(changeIndex);
    RawNode leader = net.node(2).node;
    assertThatThrownBy(() -> leader.proposeConfChange(change(CONF_CHANGE_ADD_LEARNER_NODE, 5)))
        .isInstanceOf(ProposalDroppedException.class).hasMessageContaining("not applied yet");
    net.heal();
    net.isolate(1);
    net.tickAll(2);
    assertThat(net.node(2).confState.getLearnersList()).containsExactly(4L);
    leader.proposeConfChange(change(CONF_CHANGE_ADD_LEARNER_NODE, 5));
    net.flush();
    assertThat(net.node(2).confState.getLearnersList()).containsExactly(4L, 5L);
  }

  @Test
  void thesis4_2_2_removingTheLeaderMakesItStepDownAndOthersElectANewOne() {
    Net net = bootstrapped(3, 3);
    net.elect(1);
    net.node(1).node.proposeConfChange(change(CONF_CHANGE_REMOVE_NODE, 1));
    net.flush();
    assertThat(net.raft(1).state).isEqualTo(StateRole.FOLLOWER);
    assertThat(net.node(1).confState.getVotersList()).containsExactly(2L, 3L);
    net.isolate(1);
    net.tickAll(30);
    long leader = net.leaderId();
    assertThat(leader).isIn(2L, 3L);
    net.propose(leader, "z");
    assertThat(net.node(2).appliedData()).containsExactly("z");
    assertThat(net.node(2).confState.getVotersList()).containsExactly(2L, 3L);
  }

  @Test
  void lastVoterCannotBeRemovedOrDemoted() {
    Net net = bootstrapped(1, 1);
    net.elect(1);
    assertThatThrownBy(() -> net.node(1).node.proposeConfChange(
        change(CONF_CHANGE_REMOVE_NODE, 1)))
        .isInstanceOf(ProposalDroppedException.class).hasMessageContaining("last voter");
    assertThatThrownBy(() -> net.node(1).node.proposeConfChange(
        change(CONF_CHANGE_ADD_LEARNER_NODE, 1)))
        .isInstanceOf(ProposalDroppedException.class).hasMessageContaining("last voter");
  }

  @Test
  void memberZeroIsRefused() {
    Net net = bootstrapped(1, 1);
    net.elect(1);
    assertThatThrownBy(() -> net.node(1).node.proposeConfChange(
        change(CONF_CHANGE_ADD_NODE, 0)))
        .isInstanceOf(ProposalDroppedException.class).hasMessageContaining("member 0");
  }

  @Test
  void applyingAChangeIsIdempotentForTheSameTarget() {
    ProgressTracker trk = new ProgressTracker(4);
    MembershipChanger.restore(trk, ConfState.newBuilder().addVoters(1).build(), 5);
    MembershipChanger.apply(trk, change(CONF_CHANGE_ADD_NODE, 2), 5);
    MembershipChanger.apply(trk, change(CONF_CHANGE_ADD_NODE, 2), 5);
    MembershipChanger.apply(trk, change(CONF_CHANGE_REMOVE_NODE, 9), 5);
    assertThat(trk.voters).containsExactly(1L, 2L);
    assertThat(trk.progress).containsOnlyKeys(1L, 2L);
    assertThat(trk.progress(2).next).isEqualTo(5);
    assertThat(trk.progress(2).recentActive).isTrue();
  }

  @Test
  void bootstrapRefusesNonEmptyStorage() {
    Net net = bootstrapped(1, 1);
    assertThatThrownBy(() -> net.node(1).node.bootstrap(List.of(1L)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not empty");
  }
}
