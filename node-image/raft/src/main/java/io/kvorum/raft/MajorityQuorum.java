package io.kvorum.raft;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * Quorum math over one set of voters: a majority is {@code n/2 + 1} of {@code n}.
 *
 * <p>Learners never appear here: they replicate, but neither vote nor count for commitment.
 */
final class MajorityQuorum {

  private MajorityQuorum() {}

  /** How many of {@code n} voters form a majority. */
  static int majority(int n) {
    return n / 2 + 1;
  }

  /**
   * The largest index that a majority of {@code voters} has acknowledged, where {@code acked}
   * maps a voter to the highest index it holds.
   *
   * <p>Example: acknowledged indexes {5, 4, 1} give 4 (two of three hold 4 or more); {7, 7, 2, 1}
   * give 2 (a majority of four is three). An empty set of voters gives {@link Long#MAX_VALUE}, so
   * it never restricts anything.
   */
  static long committedIndex(Collection<Long> voters, LongUnaryOperator acked) {
    int n = voters.size();
    if (n == 0) {
      return Long.MAX_VALUE;
    }
    long[] indexes = new long[n];
    int i = 0;
    for (long id : voters) {
      indexes[i++] = acked.applyAsLong(id);
    }
    Arrays.sort(indexes);
    // Sorted ascending, the entry at n - majority is held by at least a majority.
    return indexes[n - majority(n)];
  }

  /**
   * Tallies {@code votes} (voter id to granted) over {@code voters}; votes of non-voters are
   * ignored.
   *
   * <p>Example: 5 voters, 2 granted, 1 rejected, 2 missing: PENDING; one more rejection: the
   * granted plus missing (2 + 1) can no longer reach 3, so LOST.
   */
  static VoteResult voteResult(Collection<Long> voters, Map<Long, Boolean> votes) {
    if (voters.isEmpty()) {
      return VoteResult.WON;
    }
    int granted = 0;
    int missing = 0;
    for (long id : voters) {
      Boolean v = votes.get(id);
      if (v == null) {
        missing++;
      } else if (v) {
        granted++;
      }
    }
    int q = majority(voters.size());
    if (granted >= q) {
      return VoteResult.WON;
    }
    if (granted + missing >= q) {
      return VoteResult.PENDING;
    }
    return VoteResult.LOST;
  }
}
