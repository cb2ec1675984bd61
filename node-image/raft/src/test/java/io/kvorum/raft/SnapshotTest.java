package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import io.kvorum.raft.pb.Snapshot;
import io.kvorum.raft.pb.SnapshotMetadata;
import org.junit.jupiter.api.Test;

/** Raft §7 (log compaction) and thesis §5 (snapshots sent to lagging followers). */
class SnapshotTest {

  @Test
  void section7_laggingFollowerWhoseEntriesWereCompactedReceivesASnapshot() {
    Net net = Net.of(3);
    net.elect(1);
    net.isolate(3);
    for (int i = 0; i < 10; i++) {
      net.propose(1, "e" + i);
    }
    TestNode leader = net.node(1);
    long applied = leader.node.status().applied();
    leader.storage.createSnapshot(applied, leader.confState, ByteString.copyFromUtf8("state"));
    leader.storage.compact(applied);
    net.heal();
    net.tickAll(2); // heartbeat response from 3 makes the leader probe it, then snapshot
    assertThat(net.sent).anySatisfy(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_SNAP);
      assertThat(m.getTo()).isEqualTo(3);
      assertThat(m.getSnapshot().getMetadata().getIndex()).isEqualTo(applied);
    });
    TestNode follower = net.node(3);
    assertThat(follower.storage.snapshot().getData().toStringUtf8()).isEqualTo("state");
    assertThat(follower.storage.firstIndex()).isEqualTo(applied + 1);
    assertThat(follower.node.status().applied()).isEqualTo(applied);
    // Replication continues from the log after the snapshot.
    net.propose(1, "after");
    assertThat(follower.appliedData()).containsExactly("after");
  }

  @Test
  void section7_leaderWaitsInSnapshotStateUntilTheTransportReports() {
    Net net = Net.of(3);
    net.elect(1);
    net.isolate(3);
    net.propose(1, "a");
    TestNode leader = net.node(1);
    long applied = leader.node.status().applied();
    leader.storage.createSnapshot(applied, leader.confState, ByteString.EMPTY);
    leader.storage.compact(applied);
    net.heal();
    net.dropType(MessageType.MSG_SNAP); // lost on the way
    net.tickAll(2);
    PeerProgress pr = leader.node.status().progress().get(3L);
    assertThat(pr.state()).isEqualTo(ProgressState.SNAPSHOT);
    assertThat(pr.pendingSnapshot()).isEqualTo(applied);
    long snaps = net.sent.stream().filter(m -> m.getType() == MessageType.MSG_SNAP).count();
    net.tickAll(3);
    assertThat(net.sent.stream().filter(m -> m.getType() == MessageType.MSG_SNAP).count())
        .as("no second snapshot while one is pending").isEqualTo(snaps);
    leader.node.reportSnapshot(3, false);
    assertThat(leader.node.status().progress().get(3L).state()).isEqualTo(ProgressState.PROBE);
    net.heal();
    net.tickAll(2);
    assertThat(net.node(3).storage.firstIndex()).isEqualTo(applied + 1);
  }

  @Test
  void section7_followerRestoresSnapshotAndItsConfiguration() {
    TestNode n = new TestNode(2, new MemoryStorage(ConfState.newBuilder().addVoters(1)
        .addVoters(2).build()), b -> {});
    Snapshot snap = snapshot(11, 3, ConfState.newBuilder().addVoters(1).addVoters(2)
        .addVoters(3).build());
    n.node.step(Message.newBuilder().setType(MessageType.MSG_SNAP).setFrom(1).setTo(2)
        .setTerm(3).setSnapshot(snap).build());
    var out = n.drain();
    assertThat(n.storage.snapshot()).isEqualTo(snap);
    assertThat(n.storage.lastIndex()).isEqualTo(11);
    assertThat(n.raft().raftLog.committed).isEqualTo(11);
    assertThat(n.confState.getVotersList()).containsExactly(1L, 2L, 3L);
    assertThat(n.node.status().confState().getVotersList()).containsExactly(1L, 2L, 3L);
    assertThat(out).singleElement().satisfies(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_APP_RESP);
      assertThat(m.getIndex()).isEqualTo(11);
    });
  }

  @Test
  void section7_snapshotOlderThanTheCommitIndexIsIgnored() {
    Net net = Net.of(3);
    net.elect(1);
    net.propose(1, "a");
    TestNode f = net.node(2);
    long commit = f.raft().raftLog.committed;
    f.node.step(Message.newBuilder().setType(MessageType.MSG_SNAP).setFrom(1).setTo(2)
        .setTerm(1).setSnapshot(snapshot(commit - 1, 1, f.confState)).build());
    var out = f.drain();
    assertThat(f.storage.firstIndex()).isEqualTo(1);
    assertThat(out).singleElement().satisfies(m -> assertThat(m.getIndex()).isEqualTo(commit));
  }

  @Test
  void section7_snapshotThatDoesNotIncludeTheMemberIsIgnored() {
    TestNode n = new TestNode(2, new MemoryStorage(), b -> {});
    n.node.step(Message.newBuilder().setType(MessageType.MSG_SNAP).setFrom(1).setTo(2)
        .setTerm(3).setSnapshot(snapshot(11, 3, ConfState.newBuilder().addVoters(1).build()))
        .build());
    n.drain();
    assertThat(n.storage.lastIndex()).isZero();
  }

  @Test
  void section7_compactionKeepsTheLogUsableForReplication() {
    Net net = Net.of(3);
    net.elect(1);
    for (int i = 0; i < 5; i++) {
      net.propose(1, "e" + i);
    }
    for (TestNode n : net.nodes.values()) {
      long applied = n.node.status().applied();
      n.storage.createSnapshot(applied, n.confState, ByteString.EMPTY);
      n.storage.compact(applied - 2);
      assertThat(n.storage.firstIndex()).isEqualTo(applied - 1);
    }
    net.propose(1, "more");
    assertThat(net.node(2).appliedData()).endsWith("more");
    assertThat(net.sent).noneMatch(m -> m.getType() == MessageType.MSG_SNAP);
  }

  static Snapshot snapshot(long index, long term, ConfState cs) {
    return Snapshot.newBuilder().setData(ByteString.copyFromUtf8("s"))
        .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term)
            .setConfState(cs)).build();
  }
}
