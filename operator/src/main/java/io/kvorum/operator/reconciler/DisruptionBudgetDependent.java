package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.planner.Quorum;

/**
 * {@code <cluster>-budget}: minAvailable = quorum of spec.replicas (2 of 3, 3 of 5), so a node
 * drain never evicts a member the cluster needs for a majority. The operator's own pod
 * deletions during upgrades are not evictions and are paced by the planner instead.
 */
@KubernetesDependent(informer = @Informer(labelSelector = MemberNames.SELECTOR))
public class DisruptionBudgetDependent extends CRUDKubernetesDependentResource<PodDisruptionBudget, KVCluster> {

  public DisruptionBudgetDependent() {
    super(PodDisruptionBudget.class);
  }

  @Override
  protected PodDisruptionBudget desired(KVCluster kvc, Context<KVCluster> context) {
    String cluster = kvc.getMetadata().getName();
    return new PodDisruptionBudgetBuilder()
        .withNewMetadata()
          .withName(cluster + "-budget")
          .withNamespace(kvc.getMetadata().getNamespace())
          .withLabels(MemberNames.clusterLabels(cluster, "budget"))
        .endMetadata()
        .withNewSpec()
          .withMinAvailable(new IntOrString(Quorum.minAvailable(kvc.getSpec().getReplicas())))
          .withNewSelector().withMatchLabels(MemberNames.memberSelector(cluster)).endSelector()
        .endSpec()
        .build();
  }
}
