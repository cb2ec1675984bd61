package io.kvorum.operator.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A replicated Kvorum key-value cluster: {@code spec} is what the user wants (size, version,
 * storage), {@code status} is what the operator observed and where a rolling upgrade stands.
 *
 * <p>Printer columns, in the order {@code kubectl get kvc} shows them:
 * <pre>
 * NAME   VERSION   TARGET   READY   PHASE       LEADER   AGE
 * demo   1.0.0     1.1.0    3/3     Upgrading   demo-2   5m
 * </pre>
 */
@Group(KVCluster.GROUP)
@Version(KVCluster.VERSION)
@Plural("kvclusters")
@Singular("kvcluster")
@ShortNames("kvc")
@AdditionalPrinterColumn(name = "VERSION", jsonPath = ".status.version", type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "The cluster version the members report")
@AdditionalPrinterColumn(name = "TARGET", jsonPath = ".status.targetVersion", type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "The version the operator is moving the cluster to")
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.ready", type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Healthy voting members / desired members")
@AdditionalPrinterColumn(name = "PHASE", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "What the operator is doing with the cluster")
@AdditionalPrinterColumn(name = "LEADER", jsonPath = ".status.leader", type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "The member that is the Raft leader")
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class KVCluster extends CustomResource<KVClusterSpec, KVClusterStatus> implements Namespaced {

  public static final String GROUP = "kvorum.io";
  public static final String VERSION = "v1alpha1";

  @Override
  protected KVClusterStatus initStatus() {
    return new KVClusterStatus();
  }
}
