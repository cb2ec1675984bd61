package io.kvorum.operator.reconciler;

import io.kvorum.operator.crd.KVCluster;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names, labels and URLs of a cluster's objects. Member {@code n} of cluster {@code demo} in
 * namespace {@code ns} is pod and volume {@code demo-n}, reachable by peers at
 * {@code http://demo-n.demo-peer.ns.svc:2380} (the pod's hostname under the headless peer
 * Service; {@code https://} with spec.tls), and serves clients on {@code :2379}.
 */
public final class MemberNames {

  public static final int CLIENT_PORT = 2379;
  public static final int PEER_PORT = 2380;
  /**
   * The member's {@code --listen-metrics-urls} port: plain HTTP, {@code /readyz}, {@code /livez},
   * {@code /health} and {@code /metrics} only, no client certificate (kubeadm's etcd uses 2381).
   */
  public static final int METRICS_PORT = 2381;

  public static final String LABEL_NAME = "app.kubernetes.io/name";
  public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
  public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
  public static final String LABEL_CLUSTER = "kvorum.io/cluster";
  public static final String LABEL_ORDINAL = "kvorum.io/ordinal";
  public static final String LABEL_VERSION = "kvorum.io/version";
  public static final String MANAGED_BY = "kvorum-operator";
  public static final String ANNOTATION_RESUME = "kvorum.io/resume-upgrade";
  /** On a member's pod: when the operator drained it before removing it (RFC 3339). */
  public static final String ANNOTATION_DRAINED_AT = "kvorum.io/drained-at";
  /** Informers of the operator see only objects with this label. */
  public static final String SELECTOR = LABEL_MANAGED_BY + "=" + MANAGED_BY;

  private MemberNames() {
  }

  public static String member(String cluster, int ordinal) {
    return cluster + "-" + ordinal;
  }

  public static String peerService(String cluster) {
    return cluster + "-peer";
  }

  public static String clientService(String cluster) {
    return cluster + "-client";
  }

  public static String peerHost(KVCluster kvc, int ordinal) {
    String name = kvc.getMetadata().getName();
    return member(name, ordinal) + "." + peerService(name) + "." + kvc.getMetadata().getNamespace() + ".svc";
  }

  public static URI peerUrl(KVCluster kvc, int ordinal) {
    return URI.create(scheme(kvc) + "://" + peerHost(kvc, ordinal) + ":" + PEER_PORT);
  }

  public static URI advertisedClientUrl(KVCluster kvc, int ordinal) {
    return URI.create(scheme(kvc) + "://" + peerHost(kvc, ordinal) + ":" + CLIENT_PORT);
  }

  /** {@code https} when spec.tls is on (it cannot change on a running cluster), else {@code http}. */
  public static String scheme(KVCluster kvc) {
    var tls = kvc.getSpec() == null ? null : kvc.getSpec().getTls();
    return tls != null && tls.enabled() ? "https" : "http";
  }

  /** Labels every object of the cluster carries; the first four select its member pods. */
  public static Map<String, String> clusterLabels(String cluster, String component) {
    return Map.of(LABEL_NAME, "kvorum", LABEL_INSTANCE, cluster, LABEL_CLUSTER, cluster,
        LABEL_MANAGED_BY, MANAGED_BY, LABEL_COMPONENT, component);
  }

  /** Selector of the member pods of a cluster (what the Services and the budget select). */
  public static Map<String, String> memberSelector(String cluster) {
    return Map.of(LABEL_CLUSTER, cluster, LABEL_COMPONENT, "member");
  }

  /**
   * The slot of a member-list entry: from its name ({@code demo-3}) or, before it started and
   * got a name, from its peer URL host ({@code demo-3.demo-peer...}).
   */
  public static Optional<Integer> ordinalOf(String cluster, String memberName, java.util.List<URI> peerUrls) {
    Pattern own = Pattern.compile("^" + Pattern.quote(cluster) + "-([0-9]+)$");
    if (memberName != null && !memberName.isEmpty()) {
      Matcher m = own.matcher(memberName);
      return m.matches() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    }
    for (URI url : peerUrls) {
      String host = url.getHost() == null ? "" : url.getHost();
      int dot = host.indexOf('.');
      Matcher m = own.matcher(dot < 0 ? host : host.substring(0, dot));
      if (m.matches()) {
        return Optional.of(Integer.parseInt(m.group(1)));
      }
    }
    return Optional.empty();
  }
}
