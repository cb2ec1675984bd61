package io.kvorum.server.peer;

import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.VersionResponse;

/**
 * The checks every connection passes before any Raft message is accepted: same cluster, meant
 * for this member, a protocol version both sides speak. A worked example: member {@code 8e9e}
 * of cluster {@code cdf8} receives a handshake with cluster id {@code 1c2d} and refuses with
 * "cluster ID mismatch: local cdf8, remote 1c2d (is --initial-cluster-token the same on every
 * member?)".
 */
public final class HandshakeCheck {

  private HandshakeCheck() {}

  /** @return null when acceptable, otherwise why not */
  public static String refusal(VersionResponse local, Handshake remote) {
    if (remote.getClusterId() != local.getClusterId()) {
      return "cluster ID mismatch: local "
          + hex(local.getClusterId())
          + ", remote "
          + hex(remote.getClusterId())
          + " (is --initial-cluster-token the same on every member, and is the data dir of this cluster?)";
    }
    if (remote.getToMemberId() != 0 && remote.getToMemberId() != local.getMemberId()) {
      return "member ID mismatch: remote "
          + hex(remote.getFromMemberId())
          + " wants member "
          + hex(remote.getToMemberId())
          + " but this is member "
          + hex(local.getMemberId());
    }
    if (remote.getProtocolVersion() < local.getMinProtocolVersion()) {
      return "incompatible peer protocol: remote speaks "
          + remote.getProtocolVersion()
          + " (server "
          + remote.getServerVersion()
          + "), this member needs at least "
          + local.getMinProtocolVersion()
          + " (server "
          + local.getServerVersion()
          + ")";
    }
    if (remote.getMinProtocolVersion() > local.getProtocolVersion()) {
      return "incompatible peer protocol: remote needs at least "
          + remote.getMinProtocolVersion()
          + " (server "
          + remote.getServerVersion()
          + "), this member speaks "
          + local.getProtocolVersion()
          + " (server "
          + local.getServerVersion()
          + ")";
    }
    return null;
  }

  /** Member and cluster ids as etcd prints them: lower-case hex without leading zeros. */
  public static String hex(long id) {
    return Long.toHexString(id);
  }
}
