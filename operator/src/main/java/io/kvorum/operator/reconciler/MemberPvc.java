package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.PvcRetention;
import io.kvorum.operator.crd.StorageSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The volume of one member, named like its pod. It is owned by the KVCluster (and so deleted
 * with it) only when {@code spec.storage.retention.whenDeleted} is Delete.
 */
public final class MemberPvc {

  private MemberPvc() {
  }

  public static PersistentVolumeClaim desired(KVCluster kvc, int ordinal) {
    String cluster = kvc.getMetadata().getName();
    StorageSpec storage = kvc.getSpec().withDefaults().getStorage();
    Map<String, String> labels = new HashMap<>(MemberNames.clusterLabels(cluster, "member"));
    labels.put(MemberNames.LABEL_ORDINAL, Integer.toString(ordinal));
    boolean owned = storage.getRetention().getWhenDeleted() == PvcRetention.Policy.Delete;
    return new PersistentVolumeClaimBuilder()
        .withNewMetadata()
          .withName(MemberNames.member(cluster, ordinal))
          .withNamespace(kvc.getMetadata().getNamespace())
          .withLabels(labels)
          .withOwnerReferences(owned ? List.of(MemberPod.owner(kvc)) : List.of())
        .endMetadata()
        .withNewSpec()
          .withAccessModes("ReadWriteOnce")
          .withStorageClassName(storage.getStorageClassName())
          .withNewResources().addToRequests("storage", new Quantity(storage.getSize())).endResources()
        .endSpec()
        .build();
  }
}
