package io.kvorum.server.version;

import java.util.Arrays;
import java.util.List;

/**
 * Features of the replicated protocol and the cluster version that enables each (etcd's
 * capability table). A member uses a feature only when the cluster version enables it, so a
 * mixed cluster (seed 003: "operates with the protocol of the lowest common version") never
 * writes an entry that one of its members could not apply.
 *
 * <p>Example: {@link #BATCHED_LEASE_REVOKE} appeared in 1.1. In a cluster of 1.0 and 1.1
 * members the cluster version is 1.0, so the 1.1 leader still proposes one {@code
 * LEASE_REVOKE} entry per expired lease; once every member runs 1.1 and the cluster version
 * moved, it proposes one {@code LEASE_REVOKE_BATCH} entry per round.
 */
public enum Capability {
  /** One Raft entry revokes all leases that expired in a round, instead of one entry each. */
  BATCHED_LEASE_REVOKE(1, 1);

  private final Version since;

  Capability(int major, int minor) {
    this.since = new Version(major, minor, 0, "");
  }

  public Version since() {
    return since;
  }

  /** Whether a cluster at {@code clusterVersion} (empty: not decided yet) may use this feature. */
  public boolean enabledAt(String clusterVersion) {
    if (clusterVersion.isEmpty()) {
      return false;
    }
    Version cluster = Version.parse(clusterVersion).majorMinor();
    return cluster.major() == since.major() && !cluster.lessThan(since);
  }

  /** The capabilities a cluster version enables, for the "enabled capabilities" log line. */
  public static List<String> enabledNames(String clusterVersion) {
    return Arrays.stream(values()).filter(c -> c.enabledAt(clusterVersion)).map(Enum::name).toList();
  }
}
