package io.kvorum.raft;

/**
 * A proposal (or a read index request) was refused and nothing was appended: for example no
 * leader is known, leadership is being transferred, another configuration change is pending, or
 * the leader holds too many uncommitted bytes. Nothing is lost by retrying later, on this member
 * or on the leader; {@link #cause()} says whether waiting for a leader is all it takes.
 */
public final class ProposalDroppedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the proposal was dropped. */
  public enum Cause {
    /** This member knows no leader (it may be campaigning). */
    NO_LEADER,
    /** The leader is handing leadership to another member; the next leader will accept it. */
    LEADERSHIP_TRANSFER,
    /** Refused on its own terms: a pending configuration change, too many uncommitted bytes, ... */
    REFUSED
  }

  private final Cause cause;

  public ProposalDroppedException(String reason) {
    this(Cause.REFUSED, reason);
  }

  public ProposalDroppedException(Cause cause, String reason) {
    super("raft: proposal dropped: " + reason);
    this.cause = cause;
  }

  public Cause cause() {
    return cause;
  }
}
