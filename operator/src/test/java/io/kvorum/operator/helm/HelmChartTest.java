package io.kvorum.operator.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kvorum.operator.testing.RepoPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The chart through real Helm (helm-java bundles it): lint, then template and inspect the objects. */
class HelmChartTest {

  static List<HasMetadata> render(UnaryOperator<TemplateCommand> values) {
    String yaml = values.apply(new Helm(RepoPaths.chart()).template().withName("kvorum-operator").withNamespace("kvorum-system")).call();
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (doc.lines().anyMatch(l -> l.startsWith("kind:"))) {
        objects.add(Serialization.unmarshal(doc, HasMetadata.class));
      }
    }
    return objects;
  }

  static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  @Test
  void lintsCleanly() {
    LintResult result = new Helm(RepoPaths.chart()).lint().strict().call();
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  @Test
  void deploymentRunsLockedDown() {
    List<HasMetadata> objects = render(t -> t);
    Deployment d = all(objects, Deployment.class).getFirst();
    var pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    var c = pod.getContainers().getFirst();
    assertThat(c.getImage()).isEqualTo("kvorum/operator:1.0.0");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
    assertThat(pod.getSecurityContext().getRunAsGroup()).isEqualTo(10001L);
    assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(10001L);
    assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(env(c.getEnv(), "QUARKUS_OPERATOR_SDK_CONTROLLERS_KVCLUSTER_NAMESPACES")).isEqualTo("JOSDK_ALL_NAMESPACES");
    assertThat(env(c.getEnv(), "QUARKUS_OPERATOR_SDK_ACTIVATE_LEADER_ELECTION_FOR_PROFILES")).isEqualTo("prod");
    assertThat(env(c.getEnv(), "KVORUM_OPERATOR_LEADER_ELECTION_LEASE_NAMESPACE")).isEqualTo("kvorum-system");
    assertThat(pod.getVolumes()).anySatisfy(v -> {
      assertThat(v.getName()).isEqualTo("backups");
      assertThat(v.getEmptyDir()).isNotNull();
    });
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("prometheus.io/path", "/q/metrics");
  }

  @Test
  void allNamespacesGetsAClusterRoleWithLeastPrivilege() {
    List<HasMetadata> objects = render(t -> t);
    ClusterRole role = all(objects, ClusterRole.class).getFirst();
    assertThat(role.getRules()).noneSatisfy(r -> assertThat(r.getVerbs()).contains("*"));
    assertThat(verbs(role.getRules(), "secrets")).as("TLS Secrets by name: never list or watch every Secret")
        .containsExactlyInAnyOrder("get", "create", "update");
    assertThat(verbs(role.getRules(), "services")).doesNotContain("delete");
    assertThat(verbs(role.getRules(), "events")).containsExactly("create");
    assertThat(verbs(role.getRules(), "kvclusters")).containsExactlyInAnyOrder("get", "list", "watch");
    assertThat(verbs(role.getRules(), "kvclusters/status")).containsExactlyInAnyOrder("get", "patch", "update");
    assertThat(verbs(role.getRules(), "pods")).as("pods are created and deleted; a patch only annotates a drained one")
        .doesNotContain("update");
    assertThat(verbs(role.getRules(), "persistentvolumeclaims")).doesNotContain("update", "patch");
    assertThat(all(objects, Role.class)).extracting(r -> r.getMetadata().getName()).containsExactly("kvorum-operator-leader-election");
    assertThat(verbs(all(objects, Role.class).getFirst().getRules(), "leases")).containsExactlyInAnyOrder("get", "create", "update", "patch");
  }

  @Test
  void watchedNamespacesGetRolesAndNothingClusterWide() {
    List<HasMetadata> objects = render(t -> t.set("watchNamespaces[0]", "team-a").set("watchNamespaces[1]", "team-b")
        .set("leaderElection.enabled", "false"));
    assertThat(all(objects, ClusterRole.class)).isEmpty();
    assertThat(objects).filteredOn(o -> o.getKind().equals("ClusterRoleBinding")).isEmpty();
    assertThat(all(objects, Role.class)).extracting(r -> r.getMetadata().getNamespace()).containsExactlyInAnyOrder("team-a", "team-b");
    List<PolicyRule> clusterWide = all(render(t -> t), ClusterRole.class).getFirst().getRules();
    assertThat(all(objects, Role.class)).allSatisfy(r -> assertThat(r.getRules()).as("the same rules, namespaced")
        .containsExactlyInAnyOrderElementsOf(clusterWide));
    assertThat(objects).filteredOn(o -> o.getKind().equals("RoleBinding")).hasSize(2);
    var c = all(objects, Deployment.class).getFirst().getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(env(c.getEnv(), "QUARKUS_OPERATOR_SDK_CONTROLLERS_KVCLUSTER_NAMESPACES")).isEqualTo("team-a,team-b");
    assertThat(env(c.getEnv(), "QUARKUS_OPERATOR_SDK_ACTIVATE_LEADER_ELECTION_FOR_PROFILES")).isNotEqualTo("prod");
  }

  @Test
  void backupPersistenceAddsAKeptClaim() {
    List<HasMetadata> objects = render(t -> t.set("backup.persistence.enabled", "true").set("backup.persistence.size", "20Gi")
        .set("image.tag", "1.2.3"));
    var pvc = objects.stream().filter(o -> o.getKind().equals("PersistentVolumeClaim")).findFirst().orElseThrow();
    assertThat(pvc.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
    var pod = all(objects, Deployment.class).getFirst().getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo(pvc.getMetadata().getName()));
    assertThat(pod.getContainers().getFirst().getImage()).isEqualTo("kvorum/operator:1.2.3");
  }

  @Test
  void chartShipsTheCrd() {
    String crds = new Helm(RepoPaths.chart()).show().crds().call();
    assertThat(crds).contains("name: \"kvclusters.kvorum.io\"");
  }

  private static String env(List<io.fabric8.kubernetes.api.model.EnvVar> env, String name) {
    return env.stream().filter(e -> e.getName().equals(name)).map(e -> e.getValue()).findFirst().orElse(null);
  }

  private static List<String> verbs(List<PolicyRule> rules, String resource) {
    return rules.stream().filter(r -> r.getResources().contains(resource)).flatMap(r -> r.getVerbs().stream()).toList();
  }

}
