package io.kvorum.raft;

import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.HardState;
import java.util.Map;

/**
 * A snapshot of a member's Raft state for monitoring and for decisions such as "which follower
 * is most caught up" (leadership transfer before a graceful stop).
 *
 * @param id this member
 * @param hardState term, vote and commit index
 * @param softState leader and role
 * @param applied the index the caller has applied, as far as the core knows
 * @param confState the current configuration
 * @param progress per member (this one included), only on the leader; empty elsewhere
 * @param leadTransferee the target of a leadership transfer in progress, or 0
 */
public record Status(
    long id,
    HardState hardState,
    SoftState softState,
    long applied,
    ConfState confState,
    Map<Long, PeerProgress> progress,
    long leadTransferee) {

  public long term() {
    return hardState.getTerm();
  }

  public long commit() {
    return hardState.getCommit();
  }

  public long lead() {
    return softState.lead();
  }

  public StateRole role() {
    return softState.role();
  }
}
