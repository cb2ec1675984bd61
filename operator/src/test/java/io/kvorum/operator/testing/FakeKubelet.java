package io.kvorum.operator.testing;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kvorum.operator.reconciler.MemberNames;
import java.net.URI;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plays the kubelet for pods on a mock API server: pods the operator created are marked Running
 * with an IP and their node "starts" in the {@link FakeMemberClient}; nodes whose pod vanished
 * "stop". On later syncs a pod's Ready condition follows its node's readiness, after {@link
 * #readinessProbeFailures} syncs in a row that saw the change (the real probe's failureThreshold).
 * The node learns its flags from the pod's args, as the real one does.
 */
public class FakeKubelet {

  private final KubernetesClient client;
  private static final java.util.concurrent.atomic.AtomicInteger NEXT_IP = new java.util.concurrent.atomic.AtomicInteger();
  private final NodeRuntime members;
  private final Map<String, URI> running = new HashMap<>();
  private final Map<String, String> uids = new HashMap<>();
  /** Per pod: how many syncs in a row saw its node's readiness differ from the pod's condition. */
  private final Map<String, Integer> probesDisagreeing = new HashMap<>();
  /** Syncs a readiness change takes to reach the pod's Ready condition; 1 is at once. */
  public int readinessProbeFailures = 1;

  public FakeKubelet(KubernetesClient client, NodeRuntime members) {
    this.client = client;
    this.members = members;
  }

  public void sync(String namespace) {
    List<Pod> pods = client.pods().inNamespace(namespace).withLabel(MemberNames.LABEL_MANAGED_BY, MemberNames.MANAGED_BY).list().getItems();
    Map<String, Pod> byName = new HashMap<>();
    pods.forEach(p -> byName.put(p.getMetadata().getName(), p));
    running.entrySet().removeIf(e -> {
      Pod now = byName.get(e.getKey());
      if (now == null || !now.getMetadata().getUid().equals(uids.get(e.getKey()))) {
        members.stop(e.getValue());
        return true;
      }
      return false;
    });
    for (Pod pod : pods) {
      String name = pod.getMetadata().getName();
      if (running.containsKey(name)) {
        markReadiness(namespace, pod, members.ready(running.get(name)));
        continue;
      }
      int n = NEXT_IP.getAndIncrement();
      String ip = "10.0." + (n / 250) + "." + (n % 250 + 1);
      pod.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(ip).build());
      client.pods().inNamespace(namespace).resource(pod).updateStatus();
      List<String> args = pod.getSpec().getContainers().getFirst().getArgs();
      String scheme = URI.create(flag(args, "listen-client-urls")).getScheme();
      URI clientUrl = URI.create(scheme + "://" + ip + ":" + MemberNames.CLIENT_PORT);
      running.put(name, clientUrl);
      uids.put(name, pod.getMetadata().getUid());
      String peer = flag(args, "initial-advertise-peer-urls");
      Map<String, URI> initial = new java.util.TreeMap<>();
      Arrays.stream(flag(args, "initial-cluster").split(",")).forEach(s -> initial.put(s.split("=")[0], URI.create(s.split("=")[1])));
      members.start(clientUrl, name, URI.create(peer), pod.getMetadata().getLabels().get(MemberNames.LABEL_VERSION), initial);
    }
  }

  /** The Ready condition the readiness probe would give, written only when it changes. */
  private void markReadiness(String namespace, Pod pod, boolean ready) {
    String status = ready ? "True" : "False";
    List<PodCondition> conditions = pod.getStatus() == null || pod.getStatus().getConditions() == null
        ? List.of() : pod.getStatus().getConditions();
    String name = pod.getMetadata().getName();
    if (conditions.stream().anyMatch(c -> "Ready".equals(c.getType()) && status.equals(c.getStatus()))) {
      probesDisagreeing.remove(name);
      return;
    }
    if (probesDisagreeing.merge(name, 1, Integer::sum) < readinessProbeFailures) {
      return;
    }
    probesDisagreeing.remove(name);
    pod.getStatus().setConditions(List.of(new PodConditionBuilder().withType("Ready").withStatus(status).build()));
    client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }

  static String flag(List<String> args, String name) {
    return args.stream().filter(a -> a.startsWith("--" + name + "=")).map(a -> a.substring(name.length() + 3)).findFirst()
        .orElseThrow(() -> new AssertionError("pod has no --" + name));
  }
}
