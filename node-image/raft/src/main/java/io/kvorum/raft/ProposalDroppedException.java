package io.kvorum.raft;

/**
 * A proposal (or a read index request) was refused and nothing was appended: for example no
 * leader is known, leadership is being transferred, another configuration change is pending, or
 * the leader holds too many uncommitted bytes. Nothing is lost by retrying later, on this member
 * or on the leader.
 */
public final class ProposalDroppedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ProposalDroppedException(String reason) {
    super("raft: proposal dropped: " + reason);
  }
}
