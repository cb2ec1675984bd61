package io.kvorum.raft;

/** The role a member plays in its current term. */
public enum StateRole {
  /** Follows a leader (or waits for one); votes; campaigns when its election timer fires. */
  FOLLOWER,
  /** Runs a pre-vote (thesis §9.6): asks whether it could win before disturbing anyone's term. */
  PRE_CANDIDATE,
  /** Asks for votes in a new term (Raft §5.2). */
  CANDIDATE,
  /** Accepts proposals, replicates the log, decides commitment (Raft §5.3). */
  LEADER
}
