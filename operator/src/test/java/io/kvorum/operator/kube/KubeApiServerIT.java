package io.kvorum.operator.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kvorum.operator.testing.KubeApiServerSupport;
import io.kvorum.operator.testing.RepoPaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checked-in CRD and the Helm chart against a real kube-apiserver (fabric8 kube-api-test,
 * offline, with the binaries the e2e tooling builds into
 * {@code ~/.cache/kvorum-e2e/kube-api-test/k8s/<version>-linux-amd64/}). Proves that the API
 * server itself refuses bad specs with clear messages, shows the printer columns, and accepts
 * {@code helm template | kubectl apply --dry-run=server}.
 */
class KubeApiServerIT {

  static final String NS = "kvorum-it";
  static KubernetesClient client;
  static KubeApiServerSupport.Env env;

  @BeforeAll
  static void start() {
    env = KubeApiServerSupport.require();
    client = env.client();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
  }

  static GenericKubernetesResource cluster(String name, String replicas, String version, String size) {
    return Serialization.unmarshal("""
        apiVersion: kvorum.io/v1alpha1
        kind: KVCluster
        metadata:
          name: %s
          namespace: %s
        spec:
          replicas: %s
          version: "%s"
          storage:
            size: "%s"
        """.formatted(name, NS, replicas, version, size), GenericKubernetesResource.class);
  }

  static String refusal(GenericKubernetesResource kvc) {
    var thrown = org.assertj.core.api.Assertions.catchThrowableOfType(KubernetesClientException.class,
        () -> client.resource(kvc).create());
    assertThat(thrown).as("the API server refuses " + kvc.getMetadata().getName()).isNotNull();
    assertThat(thrown.getCode()).isEqualTo(422);
    return thrown.getMessage();
  }

  @Test
  void replicasOutsideOneThreeFiveSevenAreRefused() {
    assertThat(refusal(cluster("four", "4", "1.0.0", "1Gi"))).contains("replicas must be 1, 3, 5 or 7");
    assertThat(refusal(cluster("nine", "9", "1.0.0", "1Gi"))).contains("spec.replicas");
    assertThat(refusal(cluster("zero", "0", "1.0.0", "1Gi"))).contains("spec.replicas");
  }

  @Test
  void aVersionThatIsNotSemverIsRefused() {
    assertThat(refusal(cluster("banana", "3", "banana", "1Gi")))
        .contains("spec.version")
        .contains("version must be a semantic version MAJOR.MINOR.PATCH such as 1.2.0");
    assertThat(refusal(cluster("partial", "3", "1.2", "1Gi"))).contains("spec.version");
  }

  @Test
  void aStorageSizeThatIsNotAQuantityIsRefused() {
    assertThat(refusal(cluster("lots", "3", "1.0.0", "lots"))).contains("spec.storage.size");
  }

  @Test
  void aMissingVersionIsRefused() {
    var kvc = cluster("noversion", "3", "1.0.0", "1Gi");
    ((java.util.Map<?, ?>) kvc.getAdditionalProperties().get("spec")).remove("version");
    assertThat(refusal(kvc)).contains("spec.version: Required value");
  }

  @Test
  void aGoodSpecIsAcceptedAndKubectlShowsThePrinterColumns() throws Exception {
    client.resource(cluster("good", "3", "1.0.0", "8Gi")).create();
    client.genericKubernetesResources("kvorum.io/v1alpha1", "KVCluster").inNamespace(NS).withName("good")
        .subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), """
            {"status": {"version": "1.0.0", "targetVersion": "1.1.0", "ready": "3/3", "phase": "Upgrading", "leader": "good-2"}}
            """);
    List<String> lines = env.kubectl("get", "kvc", "-n", NS, "good");
    assertThat(lines.getFirst().split("\\s+")).containsExactly("NAME", "VERSION", "TARGET", "READY", "PHASE", "LEADER", "AGE");
    assertThat(lines.get(1).split("\\s+")).startsWith("good", "1.0.0", "1.1.0", "3/3", "Upgrading", "good-2");
  }

  @Test
  void theRenderedChartPassesServerSideDryRun() throws Exception {
    String rendered = new Helm(RepoPaths.chart()).template().withName("kvorum-operator").withNamespace("kvorum-system").call();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("kvorum-system").endMetadata().build())
        .createOr(r -> r.update());
    Path file = Files.createTempFile("kvorum-chart", ".yaml");
    try {
      Files.writeString(file, rendered);
      List<String> out = env.kubectl("apply", "--dry-run=server", "-n", "kvorum-system", "-f", file.toString());
      assertThat(out).anySatisfy(l -> assertThat(l).contains("deployment.apps/kvorum-operator created (server dry run)"));
      assertThat(out).anySatisfy(l -> assertThat(l).contains("clusterrole.rbac.authorization.k8s.io/kvorum-operator created (server dry run)"));
    } finally {
      Files.deleteIfExists(file);
    }
    List<HasMetadata> objects = client.load(new java.io.ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items();
    assertThat(objects).extracting(HasMetadata::getKind).contains("Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding");
  }

  static GenericKubernetesResource withTls(String name, String tls) {
    GenericKubernetesResource kvc = cluster(name, "3", "1.0.0", "1Gi");
    @SuppressWarnings("unchecked")
    var spec = (java.util.Map<String, Object>) kvc.getAdditionalProperties().get("spec");
    spec.put("tls", Serialization.unmarshal(tls, java.util.Map.class));
    return kvc;
  }

  @Test
  void badTlsSpecsAreRefusedAndDefaultsAreFilledIn() {
    assertThat(refusal(withTls("nosecrets", "{\"mode\": \"Secrets\"}"))).contains("spec.tls.secrets (server, peer and client Secret names) is required");
    assertThat(refusal(withTls("forever", "{\"mode\": \"Generated\", \"validity\": \"24h\", \"renewBefore\": \"24h\"}")))
        .contains("spec.tls.renewBefore must be shorter than spec.tls.validity");
    assertThat(refusal(withTls("outlives", "{\"mode\": \"Generated\", \"validity\": \"200h\", \"caValidity\": \"100h\"}")))
        .contains("spec.tls.validity must not be longer than spec.tls.caValidity");
    assertThat(refusal(withTls("days", "{\"mode\": \"Generated\", \"validity\": \"90d\"}"))).contains("spec.tls.validity");
    assertThat(refusal(withTls("mode", "{\"mode\": \"Sometimes\"}"))).contains("spec.tls.mode");

    client.resource(withTls("tls", "{\"mode\": \"Generated\"}")).create();
    var created = client.resources(io.kvorum.operator.crd.KVCluster.class).inNamespace(NS).withName("tls").get();
    assertThat(created.getSpec().getTls().getValidity()).isEqualTo("2160h");
    assertThat(created.getSpec().getTls().getRenewBefore()).isEqualTo("720h");
    assertThat(created.getSpec().getTls().getClientCertAuth()).isTrue();

    created.getSpec().getTls().setMode(io.kvorum.operator.crd.TlsSpec.Mode.None);
    var thrown = org.assertj.core.api.Assertions.catchThrowableOfType(KubernetesClientException.class,
        () -> client.resource(created).update());
    assertThat(thrown).isNotNull();
    assertThat(thrown.getMessage()).contains("spec.tls.mode cannot change on a running cluster");

    var plain = client.resource(cluster("plain", "3", "1.0.0", "1Gi")).create();
    var turnedOn = client.resources(io.kvorum.operator.crd.KVCluster.class).inNamespace(NS).withName("plain").get();
    turnedOn.getSpec().setTls(new io.kvorum.operator.crd.TlsSpec());
    turnedOn.getSpec().getTls().setMode(io.kvorum.operator.crd.TlsSpec.Mode.Generated);
    thrown = org.assertj.core.api.Assertions.catchThrowableOfType(KubernetesClientException.class,
        () -> client.resource(turnedOn).update());
    assertThat(thrown).as("turning TLS on for " + plain.getMetadata().getName()).isNotNull();
    assertThat(thrown.getMessage()).contains("spec.tls.mode cannot change");
  }
}
