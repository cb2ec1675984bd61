package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Raft §5.4 and §8 under a network partition: a leader cut off in a minority cannot commit,
 * the majority elects a new leader and keeps committing, and after healing the old leader steps
 * down and its uncommitted entries are replaced.
 */
class PartitionTest {

  @Test
  void minorityLeaderCannotCommitWhileTheMajorityElectsANewLeaderAndCommits() {
    for (boolean checkQuorum : new boolean[] {false, true}) {
      Net net = Net.of(5, b -> b.checkQuorum(checkQuorum).preVote(checkQuorum));
      net.elect(1);
      net.propose(1, "before");
      // {1, 2} | {3, 4, 5}
      for (long a : new long[] {1, 2}) {
        for (long b : new long[] {3, 4, 5}) {
          net.cut(a, b);
        }
      }
      net.propose(1, "lost");
      assertThat(net.node(1).appliedData()).as("minority leader").containsExactly("before");
      assertThat(net.node(2).appliedData()).containsExactly("before");

      net.tickAll(50);
      long newLeader = 0;
      for (long id = 3; id <= 5; id++) {
        if (net.raft(id).state == StateRole.LEADER) {
          newLeader = id;
        }
      }
      assertThat(newLeader).as("majority elected a leader").isNotZero();
      net.propose(newLeader, "majority-1");
      net.propose(newLeader, "majority-2");
      for (long id = 3; id <= 5; id++) {
        assertThat(net.node(id).appliedData()).containsExactly("before", "majority-1",
            "majority-2");
      }
      if (checkQuorum) {
        assertThat(net.raft(1).state).as("check-quorum deposed the minority leader")
            .isNotEqualTo(StateRole.LEADER);
      }
      assertThat(net.node(1).appliedData()).doesNotContain("lost", "majority-1");

      net.heal();
      net.tickAll(20);
      assertThat(net.leaderId()).isEqualTo(newLeader);
      for (long id = 1; id <= 5; id++) {
        assertThat(net.node(id).appliedData()).as("member %d after healing", id)
            .containsExactly("before", "majority-1", "majority-2");
        assertThat(net.raft(id).term).isEqualTo(net.raft(newLeader).term);
      }
    }
  }
}
