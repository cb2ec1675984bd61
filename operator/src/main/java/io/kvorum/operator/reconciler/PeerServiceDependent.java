package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.kvorum.operator.crd.KVCluster;

/**
 * The headless Service {@code <cluster>-peer} that gives every member pod its stable DNS name
 * {@code <cluster>-<n>.<cluster>-peer.<ns>.svc}. It publishes not-ready addresses: a member
 * must be reachable by its peers before it is ready, or a restarting cluster could never form.
 */
@KubernetesDependent(informer = @Informer(labelSelector = PeerServiceDependent.SELECTOR))
public class PeerServiceDependent extends CRUDKubernetesDependentResource<Service, KVCluster> {

  static final String SELECTOR = MemberNames.SELECTOR + "," + MemberNames.LABEL_COMPONENT + "=peer";

  public PeerServiceDependent() {
    super(Service.class);
  }

  @Override
  protected Service desired(KVCluster kvc, Context<KVCluster> context) {
    String cluster = kvc.getMetadata().getName();
    return new ServiceBuilder()
        .withNewMetadata()
          .withName(MemberNames.peerService(cluster))
          .withNamespace(kvc.getMetadata().getNamespace())
          .withLabels(MemberNames.clusterLabels(cluster, "peer"))
        .endMetadata()
        .withNewSpec()
          .withClusterIP("None")
          .withPublishNotReadyAddresses(true)
          .withSelector(MemberNames.memberSelector(cluster))
          .addNewPort().withName("peer").withPort(MemberNames.PEER_PORT).withNewTargetPort("peer").endPort()
          .addNewPort().withName("client").withPort(MemberNames.CLIENT_PORT).withNewTargetPort("client").endPort()
        .endSpec()
        .build();
  }
}
