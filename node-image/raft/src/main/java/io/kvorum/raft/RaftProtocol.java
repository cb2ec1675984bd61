package io.kvorum.raft;

/**
 * The version of Kvorum's internal Raft protocol (the {@code protocol_version} of every {@code
 * Message} this core sends).
 *
 * <p>Every outgoing message is stamped with {@link #CURRENT}. The core itself accepts any version:
 * deciding whether two members may talk at all (join control, seeds 001/002) is the transport's
 * job, done once per connection in its handshake, not per message. Bump {@link #CURRENT} when a
 * change to {@code raft.proto} or to the meaning of a field would confuse an older member, and
 * gate the new behaviour on the cluster version.
 */
public final class RaftProtocol {

  /** Version 1: the first versioned protocol (etcd-style messages, no joint consensus). */
  public static final int CURRENT = 1;

  private RaftProtocol() {}
}
