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
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
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
 *          --listen-metrics-urls=http://0.0.0.0:2381   (the kubelet's probes: /readyz, /livez)
 *          --initial-cluster=demo-0=http://...,demo-1=http://...,demo-2=http://...
 *          --initial-cluster-state=new|existing --initial-cluster-token=ns-demo
 * </pre>
 * On a restart with its data directory the node ignores the initial-cluster flags, so a pod
 * recreated during an upgrade on the same volume simply resumes as the same member.
 *
 * <p>With spec.tls every URL is {@code https://}, the member's Secrets are mounted read-only
 * at {@code /etc/kvorum/tls/server} and {@code /etc/kvorum/tls/peer} (tls.crt, tls.key, ca.crt)
 * and etcd's flags point at them:
 * <pre>
 *   --cert-file=/etc/kvorum/tls/server/tls.crt --key-file=.../tls.key --trusted-ca-file=.../ca.crt [--client-cert-auth]
 *   --peer-cert-file=/etc/kvorum/tls/peer/tls.crt --peer-key-file=... --peer-trusted-ca-file=... --peer-client-cert-auth
 * </pre>
 * The pod carries {@code kvorum.io/tls-revision}, the digest of those files when it was
 * created: a different digest later means the member runs old files and is rolled.
 */
public final class MemberPod {

  public static final String DEFAULT_IMAGE = "kvorum/node";
  static final String DATA_DIR = "/var/lib/kvorum";
  /** The user of the node image (node-image/Dockerfile, KVORUM_UID). */
  static final long NODE_UID = 10001L;
  static final String TLS_DIR = "/etc/kvorum/tls";

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
  public static Pod desired(KVCluster kvc, int ordinal, String version, ClusterState state, List<Integer> initialCluster,
                            ClusterTls tls) {
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
    String scheme = MemberNames.scheme(kvc);
    ClusterTls.MemberTls files = tls.member(ordinal);
    if (scheme.equals("https") && files == null) {
      throw new IllegalStateException("spec.tls is on but member " + name + " has no certificate Secrets yet");
    }
    List<String> args = new ArrayList<>(List.of(
        "--name=" + name,
        "--data-dir=" + DATA_DIR + "/data",
        "--listen-client-urls=" + scheme + "://0.0.0.0:" + MemberNames.CLIENT_PORT,
        "--advertise-client-urls=" + MemberNames.advertisedClientUrl(kvc, ordinal),
        "--listen-peer-urls=" + scheme + "://0.0.0.0:" + MemberNames.PEER_PORT,
        "--listen-metrics-urls=http://0.0.0.0:" + MemberNames.METRICS_PORT,
        "--initial-advertise-peer-urls=" + MemberNames.peerUrl(kvc, ordinal),
        "--initial-cluster=" + members,
        "--initial-cluster-state=" + state.name().toLowerCase(),
        "--initial-cluster-token=" + kvc.getMetadata().getNamespace() + "-" + cluster,
        "--logger=zap"));
    Map<String, String> annotations = new HashMap<>();
    if (overrides.getAnnotations() != null) annotations.putAll(overrides.getAnnotations());
    List<Volume> volumes = new ArrayList<>(List.of(
        new VolumeBuilder().withName("data").withNewPersistentVolumeClaim().withClaimName(name).endPersistentVolumeClaim().build(),
        new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build()));
    List<VolumeMount> mounts = new ArrayList<>(List.of(
        new VolumeMountBuilder().withName("data").withMountPath(DATA_DIR).build(),
        new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build()));
    if (files != null) {
      args.addAll(tlsFlags("", "server", tls.clientCertAuth()));
      args.addAll(tlsFlags("peer-", "peer", true));
      annotations.put(CertificateSecrets.ANNOTATION_REVISION, files.revision());
      for (var volume : Map.of("server", files.serverSecret(), "peer", files.peerSecret()).entrySet()) {
        volumes.add(new VolumeBuilder().withName("tls-" + volume.getKey())
            .withNewSecret().withSecretName(volume.getValue()).withDefaultMode(0440).endSecret().build());
        mounts.add(new VolumeMountBuilder().withName("tls-" + volume.getKey())
            .withMountPath(TLS_DIR + "/" + volume.getKey()).withReadOnly(true).build());
      }
    }
    volumes.sort(java.util.Comparator.comparing(Volume::getName));
    mounts.sort(java.util.Comparator.comparing(VolumeMount::getName));
    return new PodBuilder()
        .withNewMetadata()
          .withName(name)
          .withNamespace(kvc.getMetadata().getNamespace())
          .withLabels(labels)
          .withAnnotations(annotations.isEmpty() ? null : annotations)
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
                  new ContainerPortBuilder().withName("peer").withContainerPort(MemberNames.PEER_PORT).build(),
                  new ContainerPortBuilder().withName("metrics").withContainerPort(MemberNames.METRICS_PORT).build())
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
              .withVolumeMounts(mounts)
              .build())
          .withVolumes(volumes)
        .endSpec()
        .build();
  }

  /** etcd's TLS flags for one port: {@code prefix} "" (client) or "peer-", files under {@code dir}. */
  private static List<String> tlsFlags(String prefix, String dir, boolean clientCertAuth) {
    String base = TLS_DIR + "/" + dir + "/";
    List<String> flags = new ArrayList<>(List.of(
        "--" + prefix + "cert-file=" + base + "tls.crt",
        "--" + prefix + "key-file=" + base + "tls.key",
        "--" + prefix + "trusted-ca-file=" + base + "ca.crt"));
    if (clientCertAuth) {
      flags.add("--" + prefix + "client-cert-auth");
    }
    return flags;
  }

  /**
   * Probes go to the metrics listener, which asks for no client certificate: the kubelet has
   * none. A TCP check of a client port with {@code --client-cert-auth} (what the probes were
   * before) called a member ready as soon as it listened, before it knew a leader, and the client
   * Service sent it requests that failed with "etcdserver: no leader" after every restart of a
   * roll (about 30 per roll of three members in the TLS end-to-end test).
   */
  private static Probe probe(String path, int period, int failures) {
    return new ProbeBuilder()
        .withNewHttpGet().withPath(path).withPort(new IntOrString("metrics")).withScheme("HTTP").endHttpGet()
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
