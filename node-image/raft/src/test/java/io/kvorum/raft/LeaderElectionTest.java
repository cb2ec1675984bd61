package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Raft §5.2 (leader election), §5.4.1 (election restriction), thesis §9.6 and §6.2. */
class LeaderElectionTest {

  @Test
  void section5_2_candidateWinsWithMajority() {
    Net net = Net.of(3);
    net.campaign(1);
    assertThat(net.raft(1).state).isEqualTo(StateRole.LEADER);
    assertThat(net.raft(1).term).isEqualTo(1);
    assertThat(net.raft(2).lead).isEqualTo(1);
    assertThat(net.raft(3).lead).isEqualTo(1);
  }

  @Test
  void section5_2_candidateWinsWithMajorityEvenIfOneVoterIsDown() {
    Net net = Net.of(5);
    net.isolate(4);
    net.isolate(5);
    net.campaign(1);
    assertThat(net.raft(1).state).isEqualTo(StateRole.LEADER);
  }

  @Test
  void section5_2_candidateWithoutMajorityStaysCandidate() {
    Net net = Net.of(5);
    net.isolate(3);
    net.isolate(4);
    net.isolate(5);
    net.campaign(1);
    assertThat(net.raft(1).state).isEqualTo(StateRole.CANDIDATE);
    assertThat(net.raft(1).term).isEqualTo(1);
  }

  @Test
  void section5_2_eachServerVotesForAtMostOneCandidatePerTerm() {
    Net net = Net.of(3);
    Raft follower = net.raft(3);
    follower.step(voteRequest(1, 3, 1, 0, 0));
    follower.step(voteRequest(2, 3, 1, 0, 0));
    List<Message> msgs = net.node(3).drain();
    assertThat(msgs).extracting(Message::getType)
        .containsExactly(MessageType.MSG_VOTE_RESP, MessageType.MSG_VOTE_RESP);
    assertThat(msgs.get(0).getReject()).isFalse();
    assertThat(msgs.get(1).getReject()).as("second candidate in the same term").isTrue();
    assertThat(follower.vote).isEqualTo(1);
  }

  @Test
  void section5_2_voteIsRepeatedForTheSameCandidate() {
    Net net = Net.of(3);
    Raft follower = net.raft(3);
    follower.step(voteRequest(1, 3, 1, 0, 0));
    follower.step(voteRequest(1, 3, 1, 0, 0));
    List<Message> msgs = net.node(3).drain();
    assertThat(msgs).allSatisfy(m -> assertThat(m.getReject()).isFalse());
  }

  @Test
  void section5_2_candidateStepsDownOnAppendFromLeaderOfSameTerm() {
    Net net = Net.of(3);
    net.isolate(1);
    net.campaign(1);
    assertThat(net.raft(1).state).isEqualTo(StateRole.CANDIDATE);
    net.raft(1).step(Message.newBuilder().setType(MessageType.MSG_APP).setFrom(2).setTo(1)
        .setTerm(1).setIndex(0).setLogTerm(0).build());
    assertThat(net.raft(1).state).isEqualTo(StateRole.FOLLOWER);
    assertThat(net.raft(1).lead).isEqualTo(2);
  }

  @Test
  void section5_2_candidateLosesWhenMajorityRejects() {
    Net net = Net.of(3);
    net.isolate(1);
    net.elect(2);
    net.propose(2, "x");
    net.heal();
    // 1 missed "x"; with a raised term its request reaches everyone but its log is behind.
    net.raft(1).becomeFollower(1, 0);
    net.campaign(1);
    assertThat(net.raft(1).state).isEqualTo(StateRole.FOLLOWER);
    assertThat(net.raft(1).term).isEqualTo(2);
    assertThat(net.raft(2).vote).isNotEqualTo(1);
    assertThat(net.raft(3).vote).isNotEqualTo(1);
  }

  @Test
  void section5_2_followerCampaignsAfterRandomizedElectionTimeout() {
    Net net = Net.of(3);
    net.isolate(1);
    Raft r = net.raft(1);
    int timeout = r.randomizedElectionTimeout;
    net.tick(1, timeout - 1);
    assertThat(r.state).isEqualTo(StateRole.FOLLOWER);
    net.tick(1, 1);
    assertThat(r.state).isEqualTo(StateRole.CANDIDATE);
    assertThat(r.term).isEqualTo(1);
  }

  @Test
  void section5_2_randomizedElectionTimeoutIsWithinOneToTwoElectionTimeouts() {
    Raft r = Net.of(1, b -> b.electionTick(10)).raft(1);
    Set<Integer> seen = new HashSet<>();
    for (long term = 1; term <= 1000; term++) {
      r.becomeFollower(term, 0);
      assertThat(r.randomizedElectionTimeout).isBetween(10, 19);
      seen.add(r.randomizedElectionTimeout);
    }
    assertThat(seen).as("timeouts should spread over the whole range").hasSize(10);
  }

  @Test
  void section5_1_higherTermMakesLeaderStepDown() {
    Net net = Net.of(3);
    net.elect(1);
    net.raft(1).step(Message.newBuilder().setType(MessageType.MSG_APP).setFrom(2).setTo(1)
        .setTerm(5).build());
    assertThat(net.raft(1).state).isEqualTo(StateRole.FOLLOWER);
    assertThat(net.raft(1).term).isEqualTo(5);
    assertThat(net.raft(1).lead).isEqualTo(2);
  }

  @Test
  void section5_1_staleTermMessagesAreIgnored() {
    Net net = Net.of(3);
    net.elect(1);
    net.elect(2);
    long term = net.raft(1).term;
    net.raft(1).step(Message.newBuilder().setType(MessageType.MSG_APP).setFrom(3).setTo(1)
        .setTerm(1).setIndex(1).setLogTerm(1)
        .addEntries(Entry.newBuilder().setIndex(2).setTerm(1)).build());
    assertThat(net.raft(1).term).isEqualTo(term);
    assertThat(net.raft(1).lead).isEqualTo(2);
  }

  @Test
  void section5_1_memberThatCannotCampaignTellsAStaleLeaderItsHigherTerm() {
    // A member added to the cluster that does not know its configuration yet voted in an
    // election at term 3 that the current leader (term 2) never heard of. It cannot campaign,
    // so only an answer lets the leader learn term 3, step down and be re-elected.
    TestNode joiner = new TestNode(4, new MemoryStorage(), b -> {});
    joiner.raft().becomeFollower(3, 0);
    joiner.node.step(Message.newBuilder().setType(MessageType.MSG_APP).setFrom(1).setTo(4)
        .setTerm(2).setIndex(5).setLogTerm(2).build());
    assertThat(joiner.drain()).singleElement().satisfies(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_APP_RESP);
      assertThat(m.getTerm()).isEqualTo(3);
      assertThat(m.getTo()).isEqualTo(1);
    });
  }

  @Test
  void section5_1_staleLeaderLearnsTheHigherTermFromAnAnswerAndStepsDown() {
    // 3 restarted with an old configuration and campaigns up to term 9 asking only members
    // that are gone; the leader must still learn term 9 from 3's answers.
    Net net = Net.of(3);
    net.elect(1);
    net.raft(3).becomeFollower(9, 0);
    net.tickAll(1); // the leader's heartbeat reaches 3, which answers with term 9
    assertThat(net.raft(1).term).isGreaterThanOrEqualTo(9);
    net.tickAll(40);
    assertThat(net.leaderId()).isNotZero();
    long leader = net.leaderId();
    net.propose(leader, "after");
    assertThat(net.node(3).appliedData()).containsExactly("after");
  }

  @Test
  void section5_4_1_voterRejectsCandidateWithLessUpToDateLog() {
    Net net = Net.of(3);
    net.elect(1);
    net.propose(1, "a");
    long last = net.raft(3).raftLog.lastIndex();
    long lastTerm = net.raft(3).raftLog.lastTerm();
    Raft voter = net.raft(3);
    voter.becomeFollower(voter.term + 1, 0);
    voter.step(voteRequest(2, 3, voter.term, last - 1, lastTerm));
    voter.step(voteRequest(4, 3, voter.term, last, lastTerm - 1));
    voter.step(voteRequest(5, 3, voter.term, last, lastTerm));
    List<Message> msgs = net.node(3).drain();
    assertThat(msgs).extracting(Message::getReject).containsExactly(true, true, false);
  }

  @Test
  void singleVoterBecomesLeaderAtOnce() {
    Net net = Net.of(1);
    net.campaign(1);
    assertThat(net.raft(1).state).isEqualTo(StateRole.LEADER);
    net.propose(1, "solo");
    assertThat(net.node(1).appliedData()).containsExactly("solo");
  }

  @Test
  void thesis9_6_preVoteElectsLeaderWithoutWastingATerm() {
    Net net = Net.of(3, b -> b.preVote(true));
    net.campaign(1);
    assertThat(net.raft(1).state).isEqualTo(StateRole.LEADER);
    assertThat(net.raft(1).term).isEqualTo(1);
  }

  @Test
  void thesis9_6_partitionedMemberDoesNotRaiseItsTermWithPreVote() {
    Net net = Net.of(3, b -> b.preVote(true));
    net.elect(1);
    long term = net.raft(1).term;
    net.isolate(3);
    net.tick(3, 200);
    assertThat(net.raft(3).term).as("pre-votes fail, so the term stays").isEqualTo(term);
    assertThat(net.raft(3).state).isEqualTo(StateRole.PRE_CANDIDATE);
    net.heal();
    net.tickAll(3);
    assertThat(net.raft(1).state).as("the leader was not disrupted").isEqualTo(StateRole.LEADER);
    assertThat(net.raft(1).term).isEqualTo(term);
    assertThat(net.raft(3).state).isEqualTo(StateRole.FOLLOWER);
  }

  @Test
  void thesis9_6_withoutPreVoteAPartitionedMemberDisruptsTheLeaderOnReturn() {
    Net net = Net.of(3);
    net.elect(1);
    net.isolate(3);
    net.tick(3, 100);
    long inflated = net.raft(3).term;
    assertThat(inflated).isGreaterThan(1);
    net.heal();
    net.tickAll(40);
    assertThat(net.raft(1).term).as("the leader adopted the higher term").isGreaterThanOrEqualTo(inflated);
  }

  @Test
  void thesis9_6_preVoteIsGrantedWithoutChangingTheVotersTermOrVote() {
    Net net = Net.of(3, b -> b.preVote(true));
    Raft voter = net.raft(2);
    voter.step(Message.newBuilder().setType(MessageType.MSG_PRE_VOTE).setFrom(1).setTo(2)
        .setTerm(1).build());
    List<Message> out = net.node(2).drain();
    assertThat(out).singleElement().satisfies(m -> {
      assertThat(m.getType()).isEqualTo(MessageType.MSG_PRE_VOTE_RESP);
      assertThat(m.getReject()).isFalse();
      assertThat(m.getTerm()).isEqualTo(1);
    });
    assertThat(voter.term).isZero();
    assertThat(voter.vote).isZero();
  }

  @Test
  void thesis6_2_checkQuorumLeaderStepsDownWhenItLosesTheQuorum() {
    Net net = Net.of(3, b -> b.checkQuorum(true));
    net.elect(1);
    net.isolate(1);
    Raft leader = net.raft(1);
    net.tick(1, leader.electionTimeout); // First check: followers were active before the cut.
    assertThat(leader.state).isEqualTo(StateRole.LEADER);
    net.tick(1, leader.electionTimeout);
    assertThat(leader.state).isEqualTo(StateRole.FOLLOWER);
    assertThat(leader.lead).isZero();
  }

  @Test
  void thesis6_2_checkQuorumLeaderStaysWhileFollowersAnswer() {
    Net net = Net.of(3, b -> b.checkQuorum(true));
    net.elect(1);
    net.isolate(3);
    net.tick(1, 5 * net.raft(1).electionTimeout);
    assertThat(net.raft(1).state).isEqualTo(StateRole.LEADER);
  }

  @Test
  void thesis4_2_3_leaseMakesFollowersIgnoreADisruptiveCandidate() {
    Net net = Net.of(3, b -> b.checkQuorum(true));
    net.elect(1);
    long term = net.raft(1).term;
    Raft follower = net.raft(2);
    follower.step(voteRequest(3, 2, term + 5, 100, term + 4));
    assertThat(net.node(2).drain()).as("in lease: no answer at all").isEmpty();
    assertThat(follower.term).isEqualTo(term);
    assertThat(follower.lead).isEqualTo(1);
  }

  @Test
  void thesis4_2_3_leaseExpiresAfterElectionTimeoutWithoutLeader() {
    Net net = Net.of(3, b -> b.checkQuorum(true));
    net.elect(1);
    long term = net.raft(1).term;
    net.isolate(1);
    Raft follower = net.raft(2);
    for (int i = 0; i < follower.electionTimeout; i++) {
      follower.electionElapsed++; // ticks without hearing from the leader, without campaigning
    }
    follower.step(voteRequest(3, 2, term + 1, 100, term));
    assertThat(net.node(2).drain()).singleElement()
        .satisfies(m -> assertThat(m.getReject()).isFalse());
  }

  @Test
  void leaderKeepsLeadershipUnderHeartbeats() {
    Net net = Net.of(5, b -> b.checkQuorum(true).preVote(true));
    net.elect(3);
    net.tickAll(100);
    assertThat(net.leaderId()).isEqualTo(3);
    assertThat(net.raft(3).term).isEqualTo(1);
  }

  @Test
  void learnersAndStrangersDoNotCampaign() {
    ConfState cs = ConfState.newBuilder().addVoters(1).addLearners(2).build();
    TestNode learner = new TestNode(2, new MemoryStorage(cs), b -> {});
    for (int i = 0; i < 100; i++) {
      learner.node.tick();
    }
    assertThat(learner.raft().state).isEqualTo(StateRole.FOLLOWER);
    assertThat(learner.drain()).isEmpty();
    TestNode stranger = new TestNode(9, new MemoryStorage(), b -> {});
    stranger.node.campaign();
    assertThat(stranger.raft().state).isEqualTo(StateRole.FOLLOWER);
  }

  static Message voteRequest(long from, long to, long term, long lastIndex, long lastTerm) {
    return Message.newBuilder().setType(MessageType.MSG_VOTE).setFrom(from).setTo(to)
        .setTerm(term).setIndex(lastIndex).setLogTerm(lastTerm).build();
  }
}
