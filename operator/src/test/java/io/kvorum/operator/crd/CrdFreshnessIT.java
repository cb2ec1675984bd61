package io.kvorum.operator.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kvorum.operator.testing.RepoPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The CRD is generated from the Java classes at build time; crds/ and the Helm chart ship a
 * copy. This fails when a copy differs, with the command that refreshes both. (An IT because
 * the generated file appears in the package phase.)
 */
class CrdFreshnessIT {

  static final String REFRESH = "./mvnw -B -pl operator package -DskipTests && "
      + "cp operator/target/kubernetes/kvclusters.kvorum.io-v1.yml crds/ && "
      + "cp operator/target/kubernetes/kvclusters.kvorum.io-v1.yml helm/kvorum-operator/crds/";

  @Test
  void checkedInCrdsMatchTheGeneratedOne() throws IOException {
    Path generated = RepoPaths.generatedCrd();
    assertThat(generated).as("the build generates the CRD (run the package phase first)").exists();
    String expected = Files.readString(generated);
    for (Path copy : new Path[] {RepoPaths.checkedInCrd(), RepoPaths.chartCrd()}) {
      assertThat(copy).as(copy + " exists; create it with: " + REFRESH).exists();
      assertThat(Files.readString(copy)).as(copy + " is stale; refresh it with: " + REFRESH).isEqualTo(expected);
    }
  }

  @Test
  void generatedCrdHasTheColumnsValidationAndStatusUsersRelyOn() throws IOException {
    CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(RepoPaths.generatedCrd()), CustomResourceDefinition.class);
    assertThat(crd.getMetadata().getName()).isEqualTo("kvclusters.kvorum.io");
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("kvc");
    var version = crd.getSpec().getVersions().getFirst();
    assertThat(version.getName()).isEqualTo("v1alpha1");
    assertThat(version.getSubresources().getStatus()).isNotNull();
    assertThat(version.getAdditionalPrinterColumns()).extracting(c -> c.getName())
        .containsExactly("VERSION", "TARGET", "READY", "PHASE", "LEADER", "AGE");
    var spec = version.getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    assertThat(spec.getRequired()).contains("replicas", "version");
    var replicas = spec.getProperties().get("replicas");
    assertThat(replicas.getXKubernetesValidations()).singleElement()
        .satisfies(v -> assertThat(v.getRule()).isEqualTo("self in [1, 3, 5, 7]"));
    assertThat(spec.getProperties().get("version").getPattern()).isEqualTo(KVClusterSpec.SEMVER);
    assertThat(spec.getProperties().get("storage").getProperties().get("size").getPattern()).isEqualTo(StorageSpec.QUANTITY);
    assertThat(spec.getProperties().values()).allSatisfy(p -> assertThat(p.getDescription()).isNotBlank());
    var status = version.getSchema().getOpenAPIV3Schema().getProperties().get("status");
    assertThat(status.getProperties().keySet()).contains("phase", "observedGeneration", "version", "targetVersion",
        "members", "leader", "conditions", "lastSnapshot", "upgrade");
  }
}
