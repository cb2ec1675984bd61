package io.kvorum.server.membership;

import io.kvorum.server.membership.pb.ClusterState;
import io.kvorum.server.membership.pb.Member;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The cluster as the applied log says it is (etcd's {@code RaftCluster}): members with their
 * peer and client URLs, learner flag and published server version; ids that were removed (never
 * reused, never let back in); and the cluster version.
 *
 * <p>Only the apply path changes it, in log order, so every member holds the same value at the
 * same applied index; it travels in Raft snapshots as {@link ClusterState}. Readers on other
 * threads get consistent copies (every method is synchronized).
 */
public final class ClusterMembers {

  private long clusterId;
  private final Map<Long, Member> members = new LinkedHashMap<>();
  private final Set<Long> removed = new HashSet<>();
  private String clusterVersion = "";
  private String downgradeTarget = "";

  private ClusterMembers(long clusterId) {
    this.clusterId = clusterId;
  }

  /**
   * The members {@code --initial-cluster} names, with etcd's ids: for example {@code
   * s1=http://127.0.0.1:2380,s2=http://127.0.0.1:22380} and token {@code tkn} give two members
   * whose ids hash their URLs and the token, and a cluster id that hashes both ids.
   */
  public static ClusterMembers fromInitialCluster(Map<String, List<URI>> initialCluster, String token) {
    List<Member> list = new ArrayList<>();
    initialCluster.forEach(
        (name, urls) ->
            list.add(
                Member.newBuilder()
                    .setId(MemberIds.memberId(urls, token, null))
                    .setName(name)
                    .addAllPeerUrls(urls.stream().map(URI::toString).toList())
                    .build()));
    ClusterMembers c = new ClusterMembers(MemberIds.clusterId(list.stream().map(Member::getId).toList()));
    list.forEach(m -> c.members.put(m.getId(), m));
    return c;
  }

  public static ClusterMembers fromProto(ClusterState state) {
    ClusterMembers c = new ClusterMembers(state.getClusterId());
    c.restore(state);
    return c;
  }

  public static ClusterMembers empty(long clusterId) {
    return new ClusterMembers(clusterId);
  }

  /** Replaces everything with {@code state} (a snapshot from the leader). */
  public synchronized void restore(ClusterState state) {
    clusterId = state.getClusterId();
    members.clear();
    state.getMembersList().forEach(m -> members.put(m.getId(), m));
    removed.clear();
    removed.addAll(state.getRemovedList());
    clusterVersion = state.getClusterVersion();
    downgradeTarget = state.getDowngradeTarget();
  }

  public synchronized ClusterState toProto() {
    return ClusterState.newBuilder()
        .setClusterId(clusterId)
        .addAllMembers(members.values())
        .addAllRemoved(removed)
        .setClusterVersion(clusterVersion)
        .setDowngradeTarget(downgradeTarget)
        .build();
  }

  public synchronized long clusterId() {
    return clusterId;
  }

  public synchronized List<Member> members() {
    return List.copyOf(members.values());
  }

  public synchronized Optional<Member> member(long id) {
    return Optional.ofNullable(members.get(id));
  }

  public synchronized Optional<Member> memberByName(String name) {
    return members.values().stream().filter(m -> m.getName().equals(name)).findFirst();
  }

  public synchronized List<Member> voters() {
    return members.values().stream().filter(m -> !m.getIsLearner()).toList();
  }

  public synchronized boolean isRemoved(long id) {
    return removed.contains(id);
  }

  /** Whether some member already uses one of {@code urls} as a peer URL. */
  public synchronized boolean peerUrlInUse(List<String> urls, long except) {
    return members.values().stream()
        .filter(m -> m.getId() != except)
        .anyMatch(m -> m.getPeerUrlsList().stream().anyMatch(urls::contains));
  }

  public synchronized String clusterVersion() {
    return clusterVersion;
  }

  /** Adds a member, or turns an existing learner into a voter when {@code member} is not one. */
  public synchronized void add(Member member) {
    Member existing = members.get(member.getId());
    if (existing != null) {
      members.put(member.getId(), existing.toBuilder().setIsLearner(member.getIsLearner()).build());
    } else {
      members.put(member.getId(), member);
    }
  }

  public synchronized void promote(long id) {
    Member m = members.get(id);
    if (m != null) {
      members.put(id, m.toBuilder().setIsLearner(false).build());
    }
  }

  public synchronized void remove(long id) {
    members.remove(id);
    removed.add(id);
  }

  /** Applies what a member published about itself when it started. */
  public synchronized void setAttributes(long id, String name, List<String> clientUrls, String serverVersion) {
    Member m = members.get(id);
    if (m == null) {
      return;
    }
    members.put(
        id,
        m.toBuilder()
            .setName(name)
            .clearClientUrls()
            .addAllClientUrls(clientUrls)
            .setServerVersion(serverVersion)
            .build());
  }

  public synchronized void setPeerUrls(long id, List<String> peerUrls) {
    Member m = members.get(id);
    if (m != null) {
      members.put(id, m.toBuilder().clearPeerUrls().addAllPeerUrls(peerUrls).build());
    }
  }

  /** The downgrade in progress ({@code 1.0.0}), or empty. */
  public synchronized String downgradeTarget() {
    return downgradeTarget;
  }

  public synchronized void setDowngradeTarget(String target) {
    downgradeTarget = target;
  }

  public synchronized void setClusterVersion(String version) {
    clusterVersion = version;
  }
}
