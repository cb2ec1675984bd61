package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.KVClusterSpec;
import io.kvorum.operator.crd.KVClusterStatus;
import io.kvorum.operator.crd.MemberStatus;
import io.kvorum.operator.crd.PvcRetention;
import io.kvorum.operator.member.ClusterMember;
import io.kvorum.operator.member.MemberClient;
import io.kvorum.operator.member.MemberException;
import io.kvorum.operator.member.MemberProbe;
import io.kvorum.operator.planner.Desired;
import io.kvorum.operator.planner.ObservedCluster;
import io.kvorum.operator.planner.ObservedMember;
import io.kvorum.operator.planner.ObservedMember.PodState;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * Reads the state of a cluster: its pods and volumes (from the informer caches), and what each
 * running member answers (version, health, status); the member list from the leader. When no
 * member can be asked, membership is taken from the previous status, so an outage does not
 * look like an empty member list (which would make the planner re-create members).
 */
public final class ClusterObserver {

  private static final Logger LOG = Logger.getLogger(ClusterObserver.class);

  private final MemberClient members;
  private final OperatorSettings settings;

  public ClusterObserver(MemberClient members, OperatorSettings settings) {
    this.members = members;
    this.settings = settings;
  }

  public Observation observe(KVCluster kvc, Collection<Pod> pods, Collection<PersistentVolumeClaim> pvcs, ClusterTls tls,
                             Instant now) {
    String name = kvc.getMetadata().getName();
    KVClusterSpec spec = kvc.getSpec().withDefaults();
    KVClusterStatus previous = kvc.getStatus() == null ? new KVClusterStatus() : kvc.getStatus();

    Map<Integer, Pod> podBySlot = new HashMap<>();
    for (Pod p : pods) {
      ordinal(p.getMetadata().getLabels(), name).ifPresent(n -> podBySlot.put(n, p));
    }
    Map<Integer, PersistentVolumeClaim> pvcBySlot = new HashMap<>();
    for (PersistentVolumeClaim c : pvcs) {
      ordinal(c.getMetadata().getLabels(), name).ifPresent(n -> pvcBySlot.put(n, c));
    }

    Map<Integer, URI> endpoints = new HashMap<>();
    Map<Integer, MemberProbe> probes = new HashMap<>();
    podBySlot.forEach((n, p) -> {
      if (podState(p) == PodState.RUNNING) {
        endpoint(kvc, n, p).ifPresent(uri -> {
          endpoints.put(n, uri);
          probes.put(n, members.probe(uri));
        });
      }
    });

    long leaderId = probes.values().stream().filter(MemberProbe::isLeader).mapToLong(MemberProbe::memberId).findFirst()
        .orElse(0);
    Optional<Integer> leaderSlot = probes.entrySet().stream()
        .filter(e -> e.getValue().isLeader()).map(Map.Entry::getKey).findFirst();

    Map<Integer, ClusterMember> listed = new HashMap<>();
    boolean listKnown = false;
    for (Integer slot : leaderSlot.map(List::of).orElseGet(() -> List.copyOf(new TreeSet<>(probes.keySet())))) {
      if (!probes.get(slot).reachable()) continue;
      try {
        for (ClusterMember m : members.memberList(endpoints.get(slot))) {
          MemberNames.ordinalOf(name, m.name(), m.peerUrls()).ifPresent(n -> listed.put(n, m));
        }
        listKnown = true;
        break;
      } catch (MemberException e) {
        LOG.debugf("member list from %s failed: %s", endpoints.get(slot), e.getMessage());
      }
    }
    if (!listKnown) {
      for (MemberStatus m : previous.getMembers()) {
        if (m.id() != null) {
          MemberNames.ordinalOf(name, m.name(), List.of()).ifPresent(n -> listed.put(n, new ClusterMember(Long.parseUnsignedLong(m.id(), 16), m.name(), List.of(), m.learner())));
        }
      }
    }

    TreeSet<Integer> slots = new TreeSet<>();
    for (int i = 0; i < spec.getReplicas(); i++) slots.add(i);
    slots.addAll(podBySlot.keySet());
    slots.addAll(pvcBySlot.keySet());
    slots.addAll(listed.keySet());
    if (previous.getUpgrade() != null && previous.getUpgrade().member() != null) {
      MemberNames.ordinalOf(name, previous.getUpgrade().member(), List.of()).ifPresent(slots::add);
    }

    List<ObservedMember> observed = slots.stream().map(n -> {
      Pod pod = podBySlot.get(n);
      MemberProbe probe = probes.getOrDefault(n, MemberProbe.unreachable());
      ClusterMember listedMember = listed.get(n);
      Long id = listedMember != null ? Long.valueOf(listedMember.id()) : null;
      boolean leader = leaderId != 0 && id != null && id == leaderId;
      return new ObservedMember(n, MemberNames.member(name, n), podState(pod),
          pod == null ? null : pod.getMetadata().getLabels().get(MemberNames.LABEL_VERSION),
          pvcBySlot.containsKey(n) && pvcBySlot.get(n).getMetadata().getDeletionTimestamp() == null,
          id, listedMember != null && listedMember.learner(), probe.reachable() && probe.healthy(),
          probe.serverVersion(), leader, probe.appliedIndex(), probe.alarm(),
          pod == null || Objects.equals(tls.revision(n), annotation(pod, CertificateSecrets.ANNOTATION_REVISION)),
          readyCondition(pod).map(c -> "True".equals(c.getStatus())).orElse(false),
          readyCondition(pod).map(PodCondition::getLastTransitionTime).map(ClusterObserver::instant).orElse(null),
          pod == null ? null : Optional.ofNullable(annotation(pod, MemberNames.ANNOTATION_DRAINED_AT)).map(ClusterObserver::instant).orElse(null));
    }).toList();

    String resume = kvc.getMetadata().getAnnotations() == null ? null
        : kvc.getMetadata().getAnnotations().get(MemberNames.ANNOTATION_RESUME);
    Desired desired = new Desired(spec.getReplicas(), spec.getVersion(),
        Duration.ofSeconds(spec.getUpgrade().getHealthTimeoutSeconds()),
        Boolean.TRUE.equals(spec.getUpgrade().getPauseAfterEachMember()), resume,
        spec.getStorage().getRetention().getWhenScaled() == PvcRetention.Policy.Delete);
    String clusterVersion = leaderSlot.map(probes::get).map(MemberProbe::clusterVersion).orElse(null);
    ObservedCluster cluster = new ObservedCluster(name, desired, observed, clusterVersion, previous.getPhase(),
        previous.getVersion(), previous.getUpgrade(), previous.getLastSnapshot(), now);
    return new Observation(cluster, endpoints, probes, listKnown);
  }

  private Optional<URI> endpoint(KVCluster kvc, int ordinal, Pod pod) {
    if (!settings.reachMembersByPodIp()) {
      return Optional.of(MemberNames.advertisedClientUrl(kvc, ordinal));
    }
    String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    return ip == null || ip.isEmpty() ? Optional.empty()
        : Optional.of(URI.create(MemberNames.scheme(kvc) + "://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + MemberNames.CLIENT_PORT));
  }

  /** The kubelet's Ready condition: the pod's readiness probe passes and the client Service lists it. */
  private static Optional<PodCondition> readyCondition(Pod pod) {
    if (pod == null || pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst();
  }

  private static Instant instant(String rfc3339) {
    try {
      return Instant.parse(rfc3339);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  private static String annotation(Pod pod, String key) {
    return pod.getMetadata().getAnnotations() == null ? null : pod.getMetadata().getAnnotations().get(key);
  }

  static PodState podState(Pod pod) {
    if (pod == null) return PodState.ABSENT;
    if (pod.getMetadata().getDeletionTimestamp() != null) return PodState.TERMINATING;
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Running".equals(phase)) return PodState.RUNNING;
    if ("Failed".equals(phase) || "Succeeded".equals(phase)) return PodState.FAILED;
    return PodState.PENDING;
  }

  private static Optional<Integer> ordinal(Map<String, String> labels, String cluster) {
    if (labels == null) return Optional.empty();
    String cl = labels.get(MemberNames.LABEL_CLUSTER);
    if (cl != null && !cl.equals(cluster)) return Optional.empty();
    try {
      String raw = labels.get(MemberNames.LABEL_ORDINAL);
      return raw == null ? Optional.empty() : Optional.of(Integer.parseInt(raw));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
