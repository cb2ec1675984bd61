package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;

/** One PersistentVolumeClaim per member, named like the member's pod. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StorageSpec {

  /** A Kubernetes quantity in bytes: a number with an optional binary or decimal suffix. */
  public static final String QUANTITY = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";

  @Default("1Gi")
  @Pattern(QUANTITY)
  @JsonPropertyDescription("Size of each member's volume, a Kubernetes quantity such as 8Gi.")
  private String size = "1Gi";

  @JsonPropertyDescription("StorageClass of the member volumes; the cluster default when empty.")
  private String storageClassName;

  @JsonPropertyDescription("What happens to member volumes when the cluster is deleted or scaled down.")
  private PvcRetention retention = new PvcRetention();

  public String getSize() { return size; }
  public void setSize(String size) { this.size = size; }
  public String getStorageClassName() { return storageClassName; }
  public void setStorageClassName(String storageClassName) { this.storageClassName = storageClassName; }
  public PvcRetention getRetention() { return retention; }
  public void setRetention(PvcRetention retention) { this.retention = retention; }
}
