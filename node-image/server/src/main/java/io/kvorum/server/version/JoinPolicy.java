package io.kvorum.server.version;

/**
 * Which server versions may join (or rejoin) a cluster at a given cluster version (seed 001,
 * join control; seed 003, no downgrade once every member was upgraded). Same major only; not
 * below the cluster version; at most one minor above it. For a cluster at 1.1:
 *
 * <ul>
 *   <li>1.1.x and 1.2.x may join (1.2 is the next step of a rolling upgrade);
 *   <li>1.0.x is refused: the cluster finished its upgrade to 1.1, going back needs the snapshot
 *       taken before the upgrade;
 *   <li>1.3.x and 2.x are refused: upgrade one minor version at a time.
 * </ul>
 *
 * While no cluster version is decided yet (a cluster bootstrapping), every version is accepted.
 */
public final class JoinPolicy {
  private JoinPolicy() {}

  /** @return null if a member of {@code memberVersion} may join, otherwise why not */
  public static String refusal(String clusterVersion, String memberVersion) {
    if (clusterVersion.isEmpty()) {
      return null;
    }
    Version cluster = Version.parse(clusterVersion).majorMinor();
    Version member;
    try {
      member = Version.parse(memberVersion).majorMinor();
    } catch (IllegalArgumentException e) {
      return "member server version '" + memberVersion + "' is not a version";
    }
    if (member.major() != cluster.major()) {
      return "member server version " + memberVersion + " has a different major version than the cluster version " + mm(cluster);
    }
    if (member.lessThan(cluster)) {
      return "member server version "
          + memberVersion
          + " is lower than the cluster version "
          + mm(cluster)
          + ": downgrade is not possible once every member has been upgraded"
          + " (restore the snapshot taken before the upgrade to go back)";
    }
    if (member.minor() > cluster.minor() + 1) {
      return "member server version "
          + memberVersion
          + " is more than one minor version above the cluster version "
          + mm(cluster)
          + "; upgrade one minor version at a time";
    }
    return null;
  }

  private static String mm(Version v) {
    return v.major() + "." + v.minor();
  }
}
