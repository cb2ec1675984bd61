package io.kvorum.raft;

/**
 * A leader's view of one member's replication, as reported by {@link RawNode#status()}.
 *
 * @param match the highest index known to be on the member
 * @param next the index the next append starts at
 * @param state probe, replicate or snapshot
 * @param recentActive whether the member was heard from in the current check-quorum window
 * @param learner whether the member is a learner (replicates, never votes)
 * @param pendingSnapshot the index of the snapshot being sent, in snapshot state
 * @param inflight appends sent and not yet acknowledged
 * @param paused whether the leader holds back appends to it right now
 */
public record PeerProgress(
    long match,
    long next,
    ProgressState state,
    boolean recentActive,
    boolean learner,
    long pendingSnapshot,
    int inflight,
    boolean paused) {}
