package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The quorum math and the in-flight window, on their own. */
class QuorumAndInflightsTest {

  @Test
  void committedIndexIsWhatAMajorityHolds() {
    Map<Long, Long> acked = Map.of(1L, 5L, 2L, 4L, 3L, 1L, 4L, 7L, 5L, 7L);
    assertThat(MajorityQuorum.committedIndex(List.of(1L, 2L, 3L), acked::get)).isEqualTo(4);
    assertThat(MajorityQuorum.committedIndex(List.of(4L, 5L, 2L, 3L), acked::get)).isEqualTo(4);
    assertThat(MajorityQuorum.committedIndex(List.of(4L, 5L, 3L), acked::get)).isEqualTo(7);
    assertThat(MajorityQuorum.committedIndex(List.of(3L), acked::get)).isEqualTo(1);
    assertThat(MajorityQuorum.committedIndex(List.of(), acked::get)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void voteResultIsWonLostOrPending() {
    List<Long> five = List.of(1L, 2L, 3L, 4L, 5L);
    assertThat(MajorityQuorum.voteResult(five, Map.of(1L, true, 2L, true, 3L, false)))
        .isEqualTo(VoteResult.PENDING);
    assertThat(MajorityQuorum.voteResult(five, Map.of(1L, true, 2L, true, 3L, false, 4L, false)))
        .isEqualTo(VoteResult.PENDING);
    assertThat(MajorityQuorum.voteResult(five,
        Map.of(1L, true, 2L, true, 3L, false, 4L, false, 5L, false))).isEqualTo(VoteResult.LOST);
    assertThat(MajorityQuorum.voteResult(five, Map.of(1L, true, 2L, true, 5L, true)))
        .isEqualTo(VoteResult.WON);
    assertThat(MajorityQuorum.voteResult(List.of(1L, 2L), Map.of(1L, true, 9L, true)))
        .as("votes of non-voters do not count").isEqualTo(VoteResult.PENDING);
  }

  @Test
  void trackerCountsOnlyTheFirstVoteOfAMember() {
    ProgressTracker trk = new ProgressTracker(4);
    MembershipChanger.restore(trk, io.kvorum.raft.pb.ConfState.newBuilder().addVoters(1)
        .addVoters(2).addVoters(3).addLearners(4).build(), 1);
    trk.recordVote(2, false);
    trk.recordVote(2, true);
    trk.recordVote(4, true);
    trk.recordVote(1, true);
    assertThat(trk.tallyVotes()).isEqualTo(VoteResult.PENDING);
    assertThat(trk.granted()).isEqualTo(1);
    assertThat(trk.rejected()).isEqualTo(1);
  }

  @Test
  void inflightsFillAndFreeInOrder() {
    Inflights in = new Inflights(3);
    in.add(5);
    in.add(8);
    in.add(11);
    assertThat(in.full()).isTrue();
    assertThatThrownBy(() -> in.add(12)).isInstanceOf(IllegalStateException.class);
    in.freeLessOrEqual(9);
    assertThat(in.count()).isEqualTo(1);
    in.add(14);
    in.add(17); // wraps around the ring
    assertThat(in.full()).isTrue();
    in.freeFirstOne();
    assertThat(in.count()).isEqualTo(2);
    in.freeLessOrEqual(100);
    assertThat(in.count()).isZero();
    in.freeFirstOne();
    assertThat(in.count()).isZero();
  }

  @Test
  void progressTransitions() {
    Progress pr = new Progress(0, 6, 2, false);
    assertThat(pr.state).isEqualTo(ProgressState.PROBE);
    assertThat(pr.maybeUpdate(5)).isTrue();
    pr.becomeReplicate();
    assertThat(pr.next).isEqualTo(6);
    pr.optimisticUpdate(9);
    pr.inflights.add(9);
    pr.optimisticUpdate(12);
    pr.inflights.add(12);
    assertThat(pr.isPaused()).isTrue();
    pr.becomeSnapshot(20);
    assertThat(pr.isPaused()).isTrue();
    pr.becomeProbe();
    assertThat(pr.next).as("right after the pending snapshot").isEqualTo(21);
    assertThat(pr.isPaused()).isFalse();
  }
}
