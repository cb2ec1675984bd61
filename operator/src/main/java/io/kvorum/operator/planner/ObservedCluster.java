package io.kvorum.operator.planner;

import io.kvorum.operator.crd.KVClusterStatus;
import io.kvorum.operator.crd.SnapshotStatus;
import io.kvorum.operator.crd.UpgradeStatus;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Everything the planner knows: the spec digest, every member slot (ordinal order), the cluster
 * version the leader reports, and the operator's own memory from the previous status.
 *
 * @param clusterVersion the leader's /version "etcdcluster", null when unknown
 * @param phase          status.phase of the previous reconcile (null on the first)
 * @param statusVersion  status.version of the previous reconcile
 */
public record ObservedCluster(
    String name,
    Desired desired,
    List<ObservedMember> members,
    String clusterVersion,
    KVClusterStatus.Phase phase,
    String statusVersion,
    UpgradeStatus upgrade,
    SnapshotStatus lastSnapshot,
    Instant now) {

  /** A member may lag the leader by this many applied entries and still count as caught up. */
  public static final long CAUGHT_UP_LAG = 1000;

  public ObservedCluster {
    members = members.stream().sorted(Comparator.comparingInt(ObservedMember::ordinal)).toList();
  }

  /** The cluster had all its first members healthy once; from then on members join as "existing". */
  public boolean bootstrapped() {
    return phase != null && phase != KVClusterStatus.Phase.Creating;
  }

  public Stream<ObservedMember> voters() {
    return members.stream().filter(ObservedMember::voter);
  }

  public Optional<ObservedMember> leader() {
    return members.stream().filter(m -> m.leader() && m.inMemberList()).findFirst();
  }

  public Optional<ObservedMember> member(String memberName) {
    return members.stream().filter(m -> m.name().equals(memberName)).findFirst();
  }

  public Optional<ObservedMember> ordinal(int ordinal) {
    return members.stream().filter(m -> m.ordinal() == ordinal).findFirst();
  }

  public long voterCount() {
    return voters().count();
  }

  public long healthyVoterCount() {
    return voters().filter(ObservedMember::healthy).count();
  }

  public boolean allVotersHealthy() {
    return voters().allMatch(ObservedMember::healthy);
  }

  public boolean alarm() {
    return members.stream().anyMatch(ObservedMember::alarm);
  }

  /** Within {@link #CAUGHT_UP_LAG} applied entries of the leader (the leader itself is caught up). */
  public boolean caughtUp(ObservedMember m) {
    return leader().map(l -> m.appliedIndex() >= 0 && l.appliedIndex() - m.appliedIndex() <= CAUGHT_UP_LAG).orElse(false);
  }

  /**
   * The version the cluster runs when no upgrade is in progress: the previous status.version,
   * or, before one was recorded, the lowest server version among voters, or the spec version.
   */
  public String runningVersion() {
    if (upgrade != null) {
      return upgrade.from();
    }
    if (statusVersion != null) {
      return statusVersion;
    }
    return voters().map(ObservedMember::serverVersion).filter(Semver::isValid)
        .min(Comparator.comparing(Semver::parse)).orElse(desired.version());
  }
}
