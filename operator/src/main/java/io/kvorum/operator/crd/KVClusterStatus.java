package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the operator observed at its last reconcile, and the progress of an upgrade. Everything
 * here except {@link #upgrade} and {@link #lastSnapshot} is recomputed from observation on every
 * reconcile; those two are the operator's memory, so a restarted operator resumes exactly where
 * the previous one stopped.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KVClusterStatus {

  public enum Phase { Creating, Running, Scaling, Upgrading, Paused, Degraded }

  @JsonPropertyDescription("Creating, Running, Scaling, Upgrading, Paused (between members, by request) or Degraded (needs attention, see conditions).")
  private Phase phase;

  @JsonPropertyDescription("The metadata.generation of the spec this status reflects.")
  private Long observedGeneration;

  @JsonPropertyDescription("The cluster version the members report (lowest MAJOR.MINOR among voters, with the patch of the running servers).")
  private String version;

  @JsonPropertyDescription("The version the operator is moving the cluster to (spec.version once accepted).")
  private String targetVersion;

  @JsonPropertyDescription("Healthy voting members / desired members, for example 3/3.")
  private String ready;

  @JsonPropertyDescription("Name of the member that is the Raft leader.")
  private String leader;

  @JsonPropertyDescription("Every member: pod, member id, server version, health, role, applied index.")
  private List<MemberStatus> members = new ArrayList<>();

  @JsonPropertyDescription("Available, Progressing and Degraded, with observedGeneration and lastTransitionTime.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("The last verified snapshot the operator took.")
  private SnapshotStatus lastSnapshot;

  @JsonPropertyDescription("The upgrade in progress; absent when none is.")
  private UpgradeStatus upgrade;

  public Phase getPhase() { return phase; }
  public void setPhase(Phase phase) { this.phase = phase; }
  public Long getObservedGeneration() { return observedGeneration; }
  public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
  public String getVersion() { return version; }
  public void setVersion(String version) { this.version = version; }
  public String getTargetVersion() { return targetVersion; }
  public void setTargetVersion(String targetVersion) { this.targetVersion = targetVersion; }
  public String getReady() { return ready; }
  public void setReady(String ready) { this.ready = ready; }
  public String getLeader() { return leader; }
  public void setLeader(String leader) { this.leader = leader; }
  public List<MemberStatus> getMembers() { return members; }
  public void setMembers(List<MemberStatus> members) { this.members = members; }
  public List<Condition> getConditions() { return conditions; }
  public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
  public SnapshotStatus getLastSnapshot() { return lastSnapshot; }
  public void setLastSnapshot(SnapshotStatus lastSnapshot) { this.lastSnapshot = lastSnapshot; }
  public UpgradeStatus getUpgrade() { return upgrade; }
  public void setUpgrade(UpgradeStatus upgrade) { this.upgrade = upgrade; }

  @Override
  public boolean equals(Object o) {
    return o instanceof KVClusterStatus s && phase == s.phase && Objects.equals(observedGeneration, s.observedGeneration)
        && Objects.equals(version, s.version) && Objects.equals(targetVersion, s.targetVersion)
        && Objects.equals(ready, s.ready) && Objects.equals(leader, s.leader) && Objects.equals(members, s.members)
        && Objects.equals(conditions, s.conditions) && Objects.equals(lastSnapshot, s.lastSnapshot)
        && Objects.equals(upgrade, s.upgrade);
  }

  @Override
  public int hashCode() {
    return Objects.hash(phase, observedGeneration, version, targetVersion, ready, leader, members, conditions, lastSnapshot, upgrade);
  }
}
