package io.kvorum.server.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import io.kvorum.server.peer.pb.Handshake;
import org.junit.jupiter.api.Test;

/** What the peer port steps from an admitted stream: the sender's own wire messages only. */
class PeerMessageFilterTest {
  private static final Handshake PEER = Handshake.newBuilder().setFromMemberId(0xa1).build();

  private static Message message(MessageType type, long from) {
    return Message.newBuilder().setType(type).setFrom(from).setTo(0xb2).build();
  }

  @Test
  void wireMessagesOfTheSenderPass() {
    for (MessageType t : new MessageType[] {MessageType.MSG_APP, MessageType.MSG_APP_RESP, MessageType.MSG_VOTE,
        MessageType.MSG_PRE_VOTE, MessageType.MSG_HEARTBEAT, MessageType.MSG_PROP, MessageType.MSG_SNAP}) {
      assertThat(PeerServer.fromThisPeer(message(t, 0xa1), PEER)).as("%s", t).isTrue();
    }
  }

  @Test
  void localOnlyTypesAndOtherSendersAreDropped() {
    for (MessageType t : new MessageType[] {MessageType.MSG_HUP, MessageType.MSG_BEAT, MessageType.MSG_UNREACHABLE,
        MessageType.MSG_SNAP_STATUS, MessageType.MSG_CHECK_QUORUM}) {
      assertThat(PeerServer.fromThisPeer(message(t, 0xa1), PEER)).as("%s", t).isFalse();
    }
    assertThat(PeerServer.fromThisPeer(message(MessageType.MSG_HEARTBEAT, 0xc3), PEER)).as("claims another sender").isFalse();
  }
}
