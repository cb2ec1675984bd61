package io.kvorum.raft;

import io.kvorum.raft.pb.ConfState;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The current configuration (voters and learners), the leader's {@link Progress} for every
 * member, and the votes of the current election.
 *
 * <p>Invariant: {@code progress.keySet() == voters ∪ learners} and voters ∩ learners is empty.
 * Iteration is in id order, so the messages a leader sends come out in a deterministic order.
 */
final class ProgressTracker {

  final NavigableSet<Long> voters = new TreeSet<>();
  final NavigableSet<Long> learners = new TreeSet<>();
  final NavigableMap<Long, Progress> progress = new TreeMap<>();
  private final Map<Long, Boolean> votes = new HashMap<>();
  final int maxInflight;

  ProgressTracker(int maxInflight) {
    this.maxInflight = maxInflight;
  }

  Progress progress(long id) {
    return progress.get(id);
  }

  /** The largest index a majority of voters holds (what the leader may commit, §5.3). */
  long committed() {
    return MajorityQuorum.committedIndex(voters, id -> progress.get(id).match);
  }

  /**
   * Whether a majority of voters was heard from recently. A leader that cannot say so steps down
   * (check-quorum), because a new leader may be serving elsewhere.
   */
  boolean quorumActive(long self) {
    Map<Long, Boolean> active = new HashMap<>();
    for (long id : voters) {
      active.put(id, id == self || progress.get(id).recentActive);
    }
    return MajorityQuorum.voteResult(voters, active) == VoteResult.WON;
  }

  /** Whether this configuration has exactly one voter, so a leader needs nobody else. */
  boolean isSingleton() {
    return voters.size() == 1;
  }

  void resetVotes() {
    votes.clear();
  }

  /** Records a vote; a member's first answer in an election counts, repeats are ignored. */
  void recordVote(long id, boolean granted) {
    votes.putIfAbsent(id, granted);
  }

  VoteResult tallyVotes() {
    return MajorityQuorum.voteResult(voters, votes);
  }

  int granted() {
    int n = 0;
    for (long id : voters) {
      if (Boolean.TRUE.equals(votes.get(id))) {
        n++;
      }
    }
    return n;
  }

  int rejected() {
    int n = 0;
    for (long id : voters) {
      if (Boolean.FALSE.equals(votes.get(id))) {
        n++;
      }
    }
    return n;
  }

  ConfState confState() {
    return ConfState.newBuilder().addAllVoters(voters).addAllLearners(learners).build();
  }

  Map<Long, PeerProgress> views() {
    Map<Long, PeerProgress> out = new TreeMap<>();
    progress.forEach((id, pr) -> out.put(id, pr.view()));
    return Collections.unmodifiableMap(out);
  }
}
