package io.kvorum.server.version;

import io.kvorum.server.membership.pb.Member;
import java.util.Collection;
import java.util.Optional;

/**
 * The leader's rule for the cluster version (seed 003: "operates with the protocol of the
 * lowest common version"): the lowest {@code major.minor} among the voting members, decided
 * only when every voting member has published its server version. For example members at
 * 1.1.2, 1.0.5 and 1.1.0 give 1.0.0; if one of them has not published yet there is no decision
 * (never decide from a partial view).
 */
public final class ClusterVersionDecider {
  private ClusterVersionDecider() {}

  public static Optional<Version> decide(Collection<Member> members) {
    Version lowest = null;
    boolean anyVoter = false;
    for (Member m : members) {
      if (m.getIsLearner()) {
        continue;
      }
      anyVoter = true;
      if (m.getServerVersion().isEmpty()) {
        return Optional.empty();
      }
      Version v = Version.parse(m.getServerVersion()).majorMinor();
      if (lowest == null || v.lessThan(lowest)) {
        lowest = v;
      }
    }
    return anyVoter ? Optional.of(lowest) : Optional.empty();
  }
}
