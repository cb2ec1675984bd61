package io.kvorum.operator.reconciler;

import io.kvorum.operator.member.ClientTls;
import java.util.Map;

/**
 * The TLS files of a cluster for this reconcile: which Secrets each member pod mounts, the
 * revision of their content (a pod whose {@code kvorum.io/tls-revision} annotation differs
 * runs old files and is rolled), and the operator's own client credentials.
 *
 * @param members   per ordinal; ordinals not listed use {@code shared} (Secrets mode: one set for all)
 * @param shared    the files every member uses, or null
 */
public record ClusterTls(boolean enabled, boolean clientCertAuth, Map<Integer, MemberTls> members, MemberTls shared,
                         ClientTls client) {

  public static final ClusterTls NONE = new ClusterTls(false, false, Map.of(), null, null);

  /**
   * @param serverSecret mounted for the client port
   * @param peerSecret   mounted for the peer port (may be the same Secret)
   * @param revision     digest of both Secrets' content
   */
  public record MemberTls(String serverSecret, String peerSecret, String revision) { }

  public ClusterTls {
    members = Map.copyOf(members);
  }

  /** The files of member {@code ordinal}; null when TLS is off or the member has none yet. */
  public MemberTls member(int ordinal) {
    return enabled ? members.getOrDefault(ordinal, shared) : null;
  }

  /** The revision a pod of this ordinal should carry; null without TLS. */
  public String revision(int ordinal) {
    MemberTls m = member(ordinal);
    return m == null ? null : m.revision();
  }

  public String scheme() {
    return enabled ? "https" : "http";
  }
}
