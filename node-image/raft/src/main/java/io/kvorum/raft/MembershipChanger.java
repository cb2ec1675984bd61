package io.kvorum.raft;

import io.kvorum.raft.pb.ConfChange;
import io.kvorum.raft.pb.ConfState;

/**
 * Single-step membership changes (Raft thesis §4.1): one member is added, removed, promoted or
 * demoted at a time, so the old and the new majority always overlap and no joint configuration
 * is needed. The leader accepts a new change only after the previous one was applied (its
 * {@code pendingConfIndex}), which keeps changes strictly one at a time.
 *
 * <p>A change takes effect when the caller applies its committed entry ({@link
 * RawNode#applyConfChange(ConfChange)}), on every member at the same log position.
 */
final class MembershipChanger {

  private MembershipChanger() {}

  /**
   * Why {@code cc} cannot be proposed against the configuration in {@code trk}, or null when it
   * can. Checked by the leader when the change is proposed, so that applying it cannot fail.
   */
  static String refusal(ProgressTracker trk, ConfChange cc) {
    long id = cc.getNodeId();
    if (id == 0) {
      return "configuration change names member 0, which is reserved for \"no member\"";
    }
    boolean lastVoter = trk.voters.size() == 1 && trk.voters.contains(id);
    return switch (cc.getType()) {
      case CONF_CHANGE_ADD_NODE -> null;
      case CONF_CHANGE_ADD_LEARNER_NODE ->
          lastVoter ? "cannot demote member " + id + ": it is the last voter" : null;
      case CONF_CHANGE_REMOVE_NODE ->
          lastVoter ? "cannot remove member " + id + ": it is the last voter" : null;
      default -> "unknown configuration change type " + cc.getTypeValue();
    };
  }

  /**
   * Applies {@code cc} to {@code trk}. New members start probing at {@code lastIndex} and count
   * as recently active, so check-quorum does not depose a leader that just added them.
   *
   * <ul>
   *   <li>ADD_NODE: adds a voter, promotes a learner, or does nothing for a voter.
   *   <li>ADD_LEARNER_NODE: adds a learner, demotes a voter, or does nothing for a learner.
   *   <li>REMOVE_NODE: removes the member, or does nothing for a stranger.
   * </ul>
   *
   * @throws IllegalStateException when the change would leave no voter (the leader refuses such
   *     proposals, so this means an entry was applied that Raft never accepted)
   */
  static void apply(ProgressTracker trk, ConfChange cc, long lastIndex) {
    String refusal = refusal(trk, cc);
    if (refusal != null) {
      throw new IllegalStateException("raft: cannot apply configuration change: " + refusal);
    }
    long id = cc.getNodeId();
    switch (cc.getType()) {
      case CONF_CHANGE_ADD_NODE -> {
        trk.learners.remove(id);
        trk.voters.add(id);
        track(trk, id, false, lastIndex);
      }
      case CONF_CHANGE_ADD_LEARNER_NODE -> {
        trk.voters.remove(id);
        trk.learners.add(id);
        track(trk, id, true, lastIndex);
      }
      case CONF_CHANGE_REMOVE_NODE -> {
        trk.voters.remove(id);
        trk.learners.remove(id);
        trk.progress.remove(id);
      }
      default -> throw new IllegalStateException("unreachable: checked by refusal()");
    }
  }

  /** Replaces the configuration of {@code trk} with {@code cs} (a snapshot's or a restart's). */
  static void restore(ProgressTracker trk, ConfState cs, long lastIndex) {
    trk.voters.clear();
    trk.learners.clear();
    trk.progress.clear();
    for (long id : cs.getVotersList()) {
      trk.voters.add(id);
      track(trk, id, false, lastIndex);
    }
    for (long id : cs.getLearnersList()) {
      if (trk.voters.contains(id)) {
        throw new IllegalArgumentException(
            "raft: configuration " + cs + " lists member " + id + " as both voter and learner");
      }
      trk.learners.add(id);
      track(trk, id, true, lastIndex);
    }
  }

  private static void track(ProgressTracker trk, long id, boolean learner, long lastIndex) {
    Progress pr = trk.progress.get(id);
    if (pr != null) {
      pr.isLearner = learner;
      return;
    }
    pr = new Progress(0, Math.max(lastIndex, 1), trk.maxInflight, learner);
    pr.recentActive = true;
    trk.progress.put(id, pr);
  }
}
