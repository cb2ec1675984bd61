package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** Scheduling and metadata the user adds to every member pod. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class PodOverrides {

  @JsonPropertyDescription("Affinity of the member pods, for example anti-affinity to spread members over nodes.")
  private Affinity affinity;

  @JsonPropertyDescription("Tolerations of the member pods.")
  private List<Toleration> tolerations;

  @JsonPropertyDescription("Node selector of the member pods.")
  private Map<String, String> nodeSelector;

  @JsonPropertyDescription("Extra labels on the member pods; the operator's own labels win on conflict.")
  private Map<String, String> labels;

  @JsonPropertyDescription("Extra annotations on the member pods.")
  private Map<String, String> annotations;

  public Affinity getAffinity() { return affinity; }
  public void setAffinity(Affinity affinity) { this.affinity = affinity; }
  public List<Toleration> getTolerations() { return tolerations; }
  public void setTolerations(List<Toleration> tolerations) { this.tolerations = tolerations; }
  public Map<String, String> getNodeSelector() { return nodeSelector; }
  public void setNodeSelector(Map<String, String> nodeSelector) { this.nodeSelector = nodeSelector; }
  public Map<String, String> getLabels() { return labels; }
  public void setLabels(Map<String, String> labels) { this.labels = labels; }
  public Map<String, String> getAnnotations() { return annotations; }
  public void setAnnotations(Map<String, String> annotations) { this.annotations = annotations; }
}
