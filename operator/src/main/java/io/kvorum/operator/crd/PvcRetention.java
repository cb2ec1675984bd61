package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/**
 * Like a StatefulSet's persistentVolumeClaimRetentionPolicy. A removed member's data can never
 * rejoin (its member id is gone from the cluster), so scale-down deletes by default; deleting
 * the whole cluster keeps the volumes by default, because they hold the only copy of the data.
 */
public class PvcRetention {

  public enum Policy { Retain, Delete }

  @Default("Retain")
  @JsonPropertyDescription("Retain (default) keeps member volumes when the KVCluster is deleted; Delete removes them with it. Applied when a volume is created.")
  private Policy whenDeleted = Policy.Retain;

  @Default("Delete")
  @JsonPropertyDescription("Delete (default) removes a member's volume when the member is removed by a scale-down; Retain keeps it, and a later scale-up over it is refused until it is deleted.")
  private Policy whenScaled = Policy.Delete;

  public Policy getWhenDeleted() { return whenDeleted; }
  public void setWhenDeleted(Policy whenDeleted) { this.whenDeleted = whenDeleted; }
  public Policy getWhenScaled() { return whenScaled; }
  public void setWhenScaled(Policy whenScaled) { this.whenScaled = whenScaled; }
}
