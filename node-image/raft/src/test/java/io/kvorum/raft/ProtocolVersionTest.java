package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.raft.pb.MessageType;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every message on the wire carries the internal protocol version (seeds 001/002). */
class ProtocolVersionTest {

  @Test
  void everyMessageIsStampedWithTheCurrentProtocolVersion() {
    Net net = Net.of(3, b -> b.preVote(true));
    net.elect(1);
    net.propose(2, "forwarded");
    net.node(2).node.readIndex(new byte[] {7});
    net.flush();
    net.tickAll(3);
    net.node(1).node.transferLeader(3);
    net.flush();
    assertThat(RaftProtocol.CURRENT).isEqualTo(1);
    assertThat(net.sent).isNotEmpty()
        .allSatisfy(m -> assertThat(m.getProtocolVersion()).isEqualTo(RaftProtocol.CURRENT));
    Set<MessageType> types = EnumSet.noneOf(MessageType.class);
    net.sent.forEach(m -> types.add(m.getType()));
    assertThat(types).contains(MessageType.MSG_PRE_VOTE, MessageType.MSG_PRE_VOTE_RESP,
        MessageType.MSG_VOTE, MessageType.MSG_VOTE_RESP, MessageType.MSG_APP,
        MessageType.MSG_APP_RESP, MessageType.MSG_PROP, MessageType.MSG_HEARTBEAT,
        MessageType.MSG_HEARTBEAT_RESP, MessageType.MSG_READ_INDEX,
        MessageType.MSG_READ_INDEX_RESP, MessageType.MSG_TIMEOUT_NOW);
  }
}
