package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** How a rolling upgrade proceeds. */
public class UpgradeSpec {

  @Default("300")
  @Min(10)
  @Max(86400)
  @JsonPropertyDescription("Seconds a replaced member may take to become healthy, report the new version and catch up; past it the upgrade stops with Degraded=True and touches nothing else.")
  private Integer healthTimeoutSeconds = 300;

  @Default("false")
  @JsonPropertyDescription("Stop after each replaced member (a canary); resume by setting the annotation kvorum.io/resume-upgrade to the name of the member just replaced, or by setting this to false.")
  private Boolean pauseAfterEachMember = false;

  public Integer getHealthTimeoutSeconds() { return healthTimeoutSeconds; }
  public void setHealthTimeoutSeconds(Integer healthTimeoutSeconds) { this.healthTimeoutSeconds = healthTimeoutSeconds; }
  public Boolean getPauseAfterEachMember() { return pauseAfterEachMember; }
  public void setPauseAfterEachMember(Boolean pauseAfterEachMember) { this.pauseAfterEachMember = pauseAfterEachMember; }
}
