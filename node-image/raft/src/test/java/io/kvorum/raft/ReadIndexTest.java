package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.MessageType;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Thesis §6.4: linearizable reads through ReadIndex, without writing to the log. */
class ReadIndexTest {

  private static byte[] ctx(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void thesis6_4_leaderAnswersAfterAHeartbeatRoundConfirmsItsLeadership() {
    Net net = Net.of(3);
    net.elect(1);
    net.propose(1, "a");
    long commit = net.raft(1).raftLog.committed;
    long lastIndex = net.raft(1).raftLog.lastIndex();
    net.dropType(MessageType.MSG_HEARTBEAT_RESP);
    net.node(1).node.readIndex(ctx("r1"));
    net.flush();
    assertThat(net.node(1).readStates).as("no quorum confirmation yet").isEmpty();
    assertThat(net.sent).anySatisfy(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_HEARTBEAT);
      assertThat(m.getContext().toStringUtf8()).isEqualTo("r1");
    });
    net.heal();
    net.tickAll(1); // the next heartbeat round carries the context again
    assertThat(net.node(1).readStates).singleElement().satisfies(rs -> {
      assertThat(rs.index()).isEqualTo(commit);
      assertThat(rs.requestContext()).isEqualTo(ByteString.copyFromUtf8("r1"));
    });
    assertThat(net.raft(1).raftLog.lastIndex()).as("nothing was written").isEqualTo(lastIndex);
  }

  @Test
  void thesis6_4_partitionedLeaderCannotAnswer() {
    Net net = Net.of(3);
    net.elect(1);
    net.isolate(1);
    net.node(1).node.readIndex(ctx("r"));
    net.tickAll(5);
    assertThat(net.node(1).readStates).isEmpty();
  }

  @Test
  void thesis6_4_followerForwardsToTheLeaderAndGetsItsIndex() {
    Net net = Net.of(3);
    net.elect(1);
    net.propose(1, "a");
    net.node(2).node.readIndex(ctx("f"));
    net.flush();
    assertThat(net.node(2).readStates).singleElement().satisfies(rs -> {
      assertThat(rs.index()).isEqualTo(net.raft(1).raftLog.committed);
      assertThat(rs.requestContext().toStringUtf8()).isEqualTo("f");
    });
    assertThat(net.sent).anySatisfy(m -> assertThat(m.getType())
        .isEqualTo(MessageType.MSG_READ_INDEX_RESP));
  }

  @Test
  void thesis6_4_newLeaderAnswersOnlyAfterCommittingAnEntryOfItsTerm() {
    Net net = Net.of(3);
    net.dropType(MessageType.MSG_APP); // the new term's empty entry does not get through
    net.campaign(1);
    assertThat(net.raft(1).state).isEqualTo(StateRole.LEADER);
    net.node(1).node.readIndex(ctx("early"));
    net.flush();
    net.tickAll(2);
    assertThat(net.node(1).readStates).isEmpty();
    net.heal();
    net.tickAll(2);
    assertThat(net.node(1).readStates).singleElement().satisfies(rs ->
        assertThat(rs.index()).isEqualTo(net.raft(1).raftLog.committed));
  }

  @Test
  void singleVoterAnswersAtOnce() {
    Net net = Net.of(1);
    net.elect(1);
    net.node(1).node.readIndex(ctx("solo"));
    net.flush();
    assertThat(net.node(1).readStates).singleElement()
        .satisfies(rs -> assertThat(rs.index()).isEqualTo(1));
  }

  @Test
  void followerWithoutLeaderRefuses() {
    Net net = Net.of(3);
    assertThatThrownBy(() -> net.node(2).node.readIndex(ctx("x")))
        .isInstanceOf(ProposalDroppedException.class).hasMessageContaining("no leader");
  }

  @Test
  void requestsAreConfirmedInOrder() {
    ReadOnly ro = new ReadOnly();
    ro.addRequest(5, readRequest("a"));
    ro.addRequest(7, readRequest("b"));
    ro.addRequest(9, readRequest("c"));
    var done = ro.advance(ByteString.copyFromUtf8("b"));
    assertThat(done).extracting(ReadOnly.Pending::index).containsExactly(5L, 7L);
    assertThat(ro.lastPendingRequestContext().toStringUtf8()).isEqualTo("c");
    assertThat(ro.recvAck(2, ByteString.copyFromUtf8("a"))).as("already answered").isNull();
  }

  private static io.kvorum.raft.pb.Message readRequest(String ctx) {
    return io.kvorum.raft.pb.Message.newBuilder().setType(MessageType.MSG_READ_INDEX)
        .addEntries(io.kvorum.raft.pb.Entry.newBuilder().setData(ByteString.copyFromUtf8(ctx)))
        .build();
  }
}
