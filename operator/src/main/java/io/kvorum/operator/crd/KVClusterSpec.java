package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * The desired cluster. The API server refuses what a schema can express (replicas not in
 * {1,3,5,7}, a version that is not semver, a storage size that is not a quantity); the
 * operator refuses the rest (a version change that skips a minor) with a condition and an
 * Event, without touching the cluster.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.tls) ? self.tls.mode : 'None') == (has(oldSelf.tls) ? oldSelf.tls.mode : 'None')",
    message = "spec.tls.mode cannot change on a running cluster (its members' peer URLs are http or https for good): create a new KVCluster with the mode you want")
public class KVClusterSpec {

  /**
   * MAJOR.MINOR.PATCH with an optional pre-release, as the node reports it in /version. Dots are
   * written {@code [.]}, not escaped: the same text must be a valid CEL string literal.
   */
  public static final String SEMVER = "^(0|[1-9][0-9]*)[.](0|[1-9][0-9]*)[.](0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$";

  @Required
  @Min(1)
  @Max(7)
  @ValidationRule(value = "self in [1, 3, 5, 7]",
      message = "replicas must be 1, 3, 5 or 7: an odd number of members tolerates the most failures per member")
  @JsonPropertyDescription("Number of voting members: 1, 3, 5 or 7. Changing it adds members as learners and promotes them, or removes members one at a time.")
  private Integer replicas;

  @Required
  @Pattern(SEMVER)
  @ValidationRule(value = "self.matches('" + SEMVER + "')",
      message = "version must be a semantic version MAJOR.MINOR.PATCH such as 1.2.0")
  @JsonPropertyDescription("Kvorum server version to run, MAJOR.MINOR.PATCH. Changing it rolls an upgrade one member at a time; upgrades go up one minor at a time.")
  private String version;

  @Pattern("^[a-z0-9]+([._/:-][a-z0-9]+)*$")
  @JsonPropertyDescription("Image repository override for the member pods; the tag is always spec.version. Default kvorum/node.")
  private String image;

  @JsonPropertyDescription("Persistent storage of each member.")
  private StorageSpec storage = new StorageSpec();

  @JsonPropertyDescription("CPU and memory requests and limits of each member's container.")
  private ResourceRequirements resources;

  @JsonPropertyDescription("Scheduling and metadata overrides for the member pods.")
  private PodOverrides pod;

  @JsonPropertyDescription("How rolling upgrades proceed.")
  private UpgradeSpec upgrade = new UpgradeSpec();

  @JsonPropertyDescription("Where the snapshot taken before every upgrade goes.")
  private BackupSpec backup = new BackupSpec();

  @JsonPropertyDescription("TLS on the members' client and peer ports and for the operator's calls to them.")
  private TlsSpec tls;

  public Integer getReplicas() { return replicas; }
  public void setReplicas(Integer replicas) { this.replicas = replicas; }
  public String getVersion() { return version; }
  public void setVersion(String version) { this.version = version; }
  public String getImage() { return image; }
  public void setImage(String image) { this.image = image; }
  public StorageSpec getStorage() { return storage; }
  public void setStorage(StorageSpec storage) { this.storage = storage; }
  public ResourceRequirements getResources() { return resources; }
  public void setResources(ResourceRequirements resources) { this.resources = resources; }
  public PodOverrides getPod() { return pod; }
  public void setPod(PodOverrides pod) { this.pod = pod; }
  public UpgradeSpec getUpgrade() { return upgrade; }
  public void setUpgrade(UpgradeSpec upgrade) { this.upgrade = upgrade; }
  public BackupSpec getBackup() { return backup; }
  public void setBackup(BackupSpec backup) { this.backup = backup; }
  public TlsSpec getTls() { return tls; }
  public void setTls(TlsSpec tls) { this.tls = tls; }

  /** The spec with every optional part present, so callers never test for null. */
  public KVClusterSpec withDefaults() {
    if (storage == null) storage = new StorageSpec();
    if (storage.getRetention() == null) storage.setRetention(new PvcRetention());
    if (upgrade == null) upgrade = new UpgradeSpec();
    if (backup == null) backup = new BackupSpec();
    if (pod == null) pod = new PodOverrides();
    if (tls == null) tls = new TlsSpec();
    return this;
  }
}
