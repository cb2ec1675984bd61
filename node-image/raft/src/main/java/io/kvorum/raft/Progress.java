package io.kvorum.raft;

/**
 * What a leader knows about one follower's log (Raft's {@code matchIndex} and {@code nextIndex},
 * §5.3) and how it replicates to it (see {@link ProgressState}).
 *
 * <p>Invariant: {@code match < next}. Entries up to {@code match} are known to be on the
 * follower; the next append starts at {@code next}.
 */
final class Progress {

  long match;
  long next;
  ProgressState state = ProgressState.PROBE;
  /** In SNAPSHOT state: the index of the snapshot being sent. */
  long pendingSnapshot;
  /** Whether the follower was heard from since the last check-quorum round. */
  boolean recentActive;
  /** In PROBE state: an append was sent and its answer (or a heartbeat response) is awaited. */
  boolean probeSent;
  boolean isLearner;
  final Inflights inflights;

  Progress(long match, long next, int maxInflight, boolean isLearner) {
    this.match = match;
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  private void resetState(ProgressState newState) {
    probeSent = false;
    pendingSnapshot = 0;
    state = newState;
    inflights.reset();
  }

  void becomeProbe() {
    if (state == ProgressState.SNAPSHOT) {
      // The follower has the snapshot (or is about to): probe right after it.
      long pending = pendingSnapshot;
      resetState(ProgressState.PROBE);
      next = Math.max(match + 1, pending + 1);
    } else {
      resetState(ProgressState.PROBE);
      next = match + 1;
    }
  }

  void becomeReplicate() {
    resetState(ProgressState.REPLICATE);
    next = match + 1;
  }

  void becomeSnapshot(long snapshotIndex) {
    resetState(ProgressState.SNAPSHOT);
    pendingSnapshot = snapshotIndex;
  }

  /**
   * The follower acknowledged entries up to {@code n}.
   *
   * @return whether {@code match} advanced (a stale or duplicate ack returns false)
   */
  boolean maybeUpdate(long n) {
    boolean updated = false;
    if (match < n) {
      match = n;
      updated = true;
      probeSent = false;
    }
    next = Math.max(next, n + 1);
    return updated;
  }

  /** In REPLICATE state: entries up to {@code n} were sent, so the next append starts after. */
  void optimisticUpdate(long n) {
    next = n + 1;
  }

  /**
   * The follower rejected an append at index {@code rejected}; {@code matchHint} is the largest
   * index where the logs may still match. Returns false for a stale rejection (one answering an
   * append that is no longer the latest), which must be ignored.
   *
   * <p>Example (probe): next 10, rejection of 9 with hint 4 sets next to 5.
   */
  boolean maybeDecrTo(long rejected, long matchHint) {
    if (state == ProgressState.REPLICATE) {
      if (rejected <= match) {
        return false;
      }
      next = match + 1;
      return true;
    }
    if (next - 1 != rejected) {
      return false;
    }
    next = Math.max(Math.min(rejected, matchHint + 1), 1);
    probeSent = false;
    return true;
  }

  /** Whether the leader must hold back appends to this follower for now. */
  boolean isPaused() {
    return switch (state) {
      case PROBE -> probeSent;
      case REPLICATE -> inflights.full();
      case SNAPSHOT -> true;
    };
  }

  PeerProgress view() {
    return new PeerProgress(
        match, next, state, recentActive, isLearner, pendingSnapshot, inflights.count(), isPaused());
  }

  @Override
  public String toString() {
    return state + " match=" + match + " next=" + next
        + (isLearner ? " learner" : "")
        + (state == ProgressState.SNAPSHOT ? " pendingSnapshot=" + pendingSnapshot : "")
        + " inflight=" + inflights.count();
  }
}
