package io.kvorum.raft;

/**
 * Volatile state that needs no persistence: who leads, and what role this member plays. A
 * {@link Ready} carries it only when it changed, so it is a cheap signal for "leader changed".
 *
 * @param lead the id of the known leader, or 0 when none is known
 * @param role this member's role
 */
public record SoftState(long lead, StateRole role) {}
