package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.KVClusterSpec;
import io.kvorum.operator.crd.PodOverrides;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The pod of one member. The operator creates these itself (no StatefulSet): it alone decides
 * which member goes next. The node reads etcd's flags; the image's entrypoint is {@code kvorum}.
 *
 * <pre>
 * demo-1   hostname demo-1, subdomain demo-peer  →  demo-1.demo-peer.ns.svc
 *   kvorum --name=demo-1 --data-dir=/var/lib/kvorum/data
 *          --listen-client-urls=http://0.0.0.0:2379 --advertise-client-urls=http://demo-1.demo-peer.ns.svc:2379
 *          --listen-peer-urls=http://0.0.0.0:2380 --initial-advertise-peer-urls=http://demo-1.demo-peer.ns.svc:2380
 *          --initial-cluster=demo-0=http://...,demo-1=http://...,demo-2=http://...
 *          --initial-cluster-state=new|existing --initial-cluster-token=ns-demo
 * </pre>
 * On a restart with its data directory the node ignores the initial-cluster flags, so a pod
 * recreated during an upgrade on the same volume simply resumes as the same member.
 */
public final class MemberPod {

  public static final String DEFAULT_IMAGE = "kvorum/node";
  static final String DATA_DIR = "/var/lib/kvorum";
  /** The user of the node image (node-image/Dockerfile, KVORUM_UID). */
  static final long NODE_UID = 10001L;

  private MemberPod() {
  }

  /** Initial cluster state of a member: {@code new} for the first members, {@code existing} after. */
  public enum ClusterState { NEW, EXISTING }

  public static String image(KVClusterSpec spec, String version) {
    String repository = spec.getImage() == null || spec.getImage().isBlank() ? DEFAULT_IMAGE : spec.getImage();
    return repository + ":" + version;
  }

  /**
   * @param initialCluster ordinals of the members the new member starts with (itself included)
   */
  public static Pod desired(KVCluster kvc, int ordinal, String version, ClusterState state, List<Integer> initialCluster) {
    String cluster = kvc.getMetadata().getName();
    KVClusterSpec spec = kvc.getSpec().withDefaults();
    PodOverrides overrides = spec.getPod();
    String name = MemberNames.member(cluster, ordinal);

    Map<String, String> labels = new HashMap<>();
    if (overrides.getLabels() != null) labels.putAll(overrides.getLabels());
    labels.putAll(MemberNames.clusterLabels(cluster, "member"));
    labels.put(MemberNames.LABEL_ORDINAL, Integer.toString(ordinal));
    labels.put(MemberNames.LABEL_VERSION, version);

    String members = initialCluster.stream().sorted()
        .map(n -> MemberNames.member(cluster, n) + "=" + MemberNames.peerUrl(kvc, n))
        .collect(Collectors.joining(","));
    List<String> args = new ArrayList<>(List.of(
        "--name=" + name,
        "--data-dir=" + DATA_DIR + "/data",
        "--listen-client-urls=http://0.0.0.0:" + MemberNames.CLIENT_PORT,
        "--advertise-client-urls=" + MemberNames.advertisedClientUrl(kvc, ordinal),
        "--listen-peer-urls=http://0.0.0.0:" + MemberNames.PEER_PORT,
        "--initial-advertise-peer-urls=" + MemberNames.peerUrl(kvc, ordinal),
        "--initial-cluster=" + members,
        "--initial-cluster-state=" + state.name().toLowerCase(),
        "--initial-cluster-token=" + kvc.getMetadata().getNamespace() + "-" + cluster,
        "--logger=zap"));

    return new PodBuilder()
        .withNewMetadata()
          .withName(name)
          .withNamespace(kvc.getMetadata().getNamespace())
          .withLabels(labels)
          .withAnnotations(overrides.getAnnotations())
          .withOwnerReferences(owner(kvc))
        .endMetadata()
        .withNewSpec()
          .withHostname(name)
          .withSubdomain(MemberNames.peerService(cluster))
          .withAffinity(overrides.getAffinity())
          .withTolerations(overrides.getTolerations())
          .withNodeSelector(overrides.getNodeSelector())
          .withRestartPolicy("Always")
          // The node moves leadership away on SIGTERM before it stops; give it the time.
          .withTerminationGracePeriodSeconds(30L)
          // The node image runs as kvorum (10001); fsGroup makes the volume writable for it.
          .withNewSecurityContext()
            .withRunAsNonRoot(true)
            .withRunAsUser(NODE_UID)
            .withRunAsGroup(NODE_UID)
            .withFsGroup(NODE_UID)
            .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
          .endSecurityContext()
          .withContainers(new ContainerBuilder()
              .withName("kvorum")
              .withImage(image(spec, version))
              .withImagePullPolicy("IfNotPresent")
              .withArgs(args)
              .withPorts(
                  new ContainerPortBuilder().withName("client").withContainerPort(MemberNames.CLIENT_PORT).build(),
                  new ContainerPortBuilder().withName("peer").withContainerPort(MemberNames.PEER_PORT).build())
              .withResources(spec.getResources())
              .withReadinessProbe(probe("/readyz", 5, 3))
              .withLivenessProbe(probe("/livez", 10, 6))
              .withNewLifecycle()
                // Let endpoints drop the pod before the node gets SIGTERM and hands leadership over.
                .withNewPreStop().withNewSleep().withSeconds(2L).endSleep().endPreStop()
              .endLifecycle()
              .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
              .endSecurityContext()
              .addNewVolumeMount().withName("data").withMountPath(DATA_DIR).endVolumeMount()
              .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
              .build())
          .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName(name).endPersistentVolumeClaim().endVolume()
          .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec()
        .build();
  }

  private static Probe probe(String path, int period, int failures) {
    return new ProbeBuilder()
        .withNewHttpGet().withPath(path).withPort(new IntOrString("client")).endHttpGet()
        .withPeriodSeconds(period)
        .withTimeoutSeconds(2)
        .withFailureThreshold(failures)
        .build();
  }

  static OwnerReference owner(KVCluster kvc) {
    return new OwnerReferenceBuilder()
        .withApiVersion(kvc.getApiVersion())
        .withKind(kvc.getKind())
        .withName(kvc.getMetadata().getName())
        .withUid(kvc.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }
}
