package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * The pre-upgrade snapshot. The operator streams it from the leader (Maintenance.Snapshot),
 * checks its SHA-256 trailer and writes it under its backup directory (a volume mounted into the
 * operator pod, see the Helm chart's backup values) as
 * {@code <namespace>/<cluster>/<cluster>-<revision>-<time>.db}.
 */
public class BackupSpec {

  @Default("3")
  @Min(1)
  @Max(100)
  @JsonPropertyDescription("How many snapshots of this cluster to keep in the operator's backup volume; older ones are deleted after a new one is verified.")
  private Integer retain = 3;

  public Integer getRetain() { return retain; }
  public void setRetain(Integer retain) { this.retain = retain; }
}
