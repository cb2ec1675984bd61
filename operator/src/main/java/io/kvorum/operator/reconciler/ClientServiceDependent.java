package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.kvorum.operator.crd.KVCluster;

/** The Service {@code <cluster>-client} on port 2379 that clients use; only ready members serve. */
@KubernetesDependent(informer = @Informer(labelSelector = ClientServiceDependent.SELECTOR))
public class ClientServiceDependent extends CRUDKubernetesDependentResource<Service, KVCluster> {

  static final String SELECTOR = MemberNames.SELECTOR + "," + MemberNames.LABEL_COMPONENT + "=client";

  public ClientServiceDependent() {
    super(Service.class);
  }

  @Override
  protected Service desired(KVCluster kvc, Context<KVCluster> context) {
    String cluster = kvc.getMetadata().getName();
    return new ServiceBuilder()
        .withNewMetadata()
          .withName(MemberNames.clientService(cluster))
          .withNamespace(kvc.getMetadata().getNamespace())
          .withLabels(MemberNames.clusterLabels(cluster, "client"))
        .endMetadata()
        .withNewSpec()
          .withType("ClusterIP")
          .withSelector(MemberNames.memberSelector(cluster))
          .addNewPort().withName("client").withPort(MemberNames.CLIENT_PORT).withNewTargetPort("client").endPort()
        .endSpec()
        .build();
  }
}
