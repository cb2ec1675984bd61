package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Ready/advance contract, restart from storage, and the API's input checks. */
class RawNodeTest {

  private static MemoryStorage threeVoters() {
    return new MemoryStorage(ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3)
        .build());
  }

  @Test
  void readyCarriesHardStateAndSoftStateOnlyWhenTheyChange() {
    TestNode n = new TestNode(1, threeVoters(), b -> {});
    assertThat(n.node.hasReady()).isFalse();
    n.node.campaign();
    Ready rd = n.node.ready();
    assertThat(rd.softState()).contains(new SoftState(0, StateRole.CANDIDATE));
    assertThat(rd.hardState()).contains(HardState.newBuilder().setTerm(1).setVote(1).build());
    assertThat(rd.mustSync()).as("term and vote must be durable before the vote requests go")
        .isTrue();
    assertThat(rd.messages()).extracting(Message::getType)
        .containsExactly(MessageType.MSG_VOTE, MessageType.MSG_VOTE);
    n.node.advance();
    assertThat(n.node.hasReady()).isFalse();
    n.node.tick();
    assertThat(n.node.hasReady()).as("a tick alone changes nothing to persist").isFalse();
  }

  @Test
  void readyMustBeAdvancedBeforeTheNext() {
    TestNode n = new TestNode(1, threeVoters(), b -> {});
    n.node.campaign();
    n.node.ready();
    assertThat(n.node.hasReady()).isFalse();
    assertThatThrownBy(n.node::ready).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("advance");
    n.node.advance();
    assertThatThrownBy(n.node::advance).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("without a preceding ready");
  }

  @Test
  void localMessagesFromTheNetworkAreRefused() {
    TestNode n = new TestNode(1, threeVoters(), b -> {});
    assertThatThrownBy(() -> n.node.step(Message.newBuilder().setType(MessageType.MSG_HUP)
        .setFrom(2).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("local message");
  }

  @Test
  void responsesFromStrangersAreIgnored() {
    Net net = Net.of(3);
    net.elect(1);
    net.node(1).node.step(Message.newBuilder().setType(MessageType.MSG_APP_RESP).setFrom(9)
        .setTo(1).setTerm(1).setIndex(100).build());
    assertThat(net.node(1).node.status().progress()).doesNotContainKey(9L);
  }

  @Test
  void restartFromPersistedStateKeepsTermVoteAndLog() {
    Net net = Net.of(3);
    net.elect(1);
    net.propose(1, "a");
    net.propose(1, "b");
    TestNode before = net.node(2);
    long applied = before.node.status().applied();
    TestNode after = new TestNode(2, before.storage, applied, b -> {});
    Status st = after.node.status();
    assertThat(st.term()).isEqualTo(1);
    assertThat(st.hardState().getVote()).isEqualTo(1);
    assertThat(st.commit()).isEqualTo(3);
    assertThat(st.applied()).isEqualTo(applied);
    assertThat(st.role()).isEqualTo(StateRole.FOLLOWER);
    assertThat(after.node.hasReady()).as("nothing to re-apply").isFalse();
    // Restarted with applied = 0, the committed entries are handed out again.
    TestNode replay = new TestNode(2, before.storage, 0, b -> {});
    replay.drain();
    assertThat(replay.appliedData()).containsExactly("a", "b");
  }

  @Test
  void restartWithACommitIndexBeyondTheLogFailsClearly() {
    MemoryStorage s = threeVoters();
    s.setHardState(HardState.newBuilder().setTerm(1).setCommit(5).build());
    assertThatThrownBy(() -> new TestNode(1, s, b -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("out of range").hasMessageContaining("lost or truncated");
  }

  @Test
  void statusShowsProgressOnlyOnTheLeader() {
    Net net = Net.of(3);
    net.elect(1);
    Status leader = net.node(1).node.status();
    assertThat(leader.progress()).containsOnlyKeys(1L, 2L, 3L);
    assertThat(leader.lead()).isEqualTo(1);
    assertThat(leader.confState().getVotersList()).containsExactly(1L, 2L, 3L);
    assertThat(net.node(2).node.status().progress()).isEmpty();
  }

  @Test
  void configRejectsInvalidSettingsWithAClearMessage() {
    MemoryStorage s = new MemoryStorage();
    assertThatThrownBy(() -> Config.builder(0, s).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("id must not be 0");
    assertThatThrownBy(() -> Config.builder(1, s).electionTick(1).heartbeatTick(1).build())
        .hasMessageContaining("electionTick (1) must be greater than heartbeatTick (1)");
    assertThatThrownBy(() -> Config.builder(1, s).maxInflightMsgs(0).build())
        .hasMessageContaining("maxInflightMsgs");
    assertThatThrownBy(() -> Config.builder(1, null).build())
        .hasMessageContaining("storage");
    Config c = Config.builder(1, s).build();
    assertThat(c.maxCommittedSizePerReady()).isEqualTo(c.maxSizePerMsg());
  }

  @Test
  void bootstrapHandsOutTheInitialMembershipAsCommittedEntries() {
    TestNode n = new TestNode(1, new MemoryStorage(), b -> {});
    n.node.bootstrap(List.of(1L, 2L, 3L));
    n.drain();
    assertThat(n.storage.lastIndex()).isEqualTo(3);
    assertThat(n.applied).hasSize(3);
    assertThat(n.confState.getVotersList()).containsExactly(1L, 2L, 3L);
    assertThat(n.storage.hardState().getCommit()).isEqualTo(3);
    assertThatThrownBy(() -> new TestNode(2, new MemoryStorage(), b -> {}).node
        .bootstrap(List.of())).isInstanceOf(IllegalArgumentException.class);
  }
}
