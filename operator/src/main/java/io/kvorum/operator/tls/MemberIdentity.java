package io.kvorum.operator.tls;

import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.reconciler.MemberNames;
import java.util.List;

/**
 * The names a member's certificate must carry: the stable DNS names under the headless peer
 * Service (how peers and the operator reach it, also with the cluster domain), the client
 * Service (how applications reach any member) and loopback (tools run inside the pod).
 *
 * <pre>
 *   demo-1 in ns:  demo-1.demo-peer.ns.svc  demo-1.demo-peer.ns.svc.cluster.local
 *                  demo-client  demo-client.ns.svc  demo-client.ns.svc.cluster.local
 *                  localhost    IP 127.0.0.1  IP ::1
 * </pre>
 */
public final class MemberIdentity {

  public static final List<String> LOOPBACK_IPS = List.of("127.0.0.1", "::1");

  private MemberIdentity() {
  }

  public static List<String> dnsNames(KVCluster kvc, int ordinal) {
    String ns = kvc.getMetadata().getNamespace();
    String peerHost = MemberNames.peerHost(kvc, ordinal);
    String client = MemberNames.clientService(kvc.getMetadata().getName());
    return List.of(peerHost, peerHost + ".cluster.local",
        client, client + "." + ns + ".svc", client + "." + ns + ".svc.cluster.local",
        "localhost");
  }

  /**
   * The suffix every member's peer DNS name has ({@code .demo-peer.ns.svc}): the operator
   * accepts a server certificate from its cluster's CA only if it names a host under it.
   */
  public static String peerDomain(KVCluster kvc) {
    return "." + MemberNames.peerService(kvc.getMetadata().getName()) + "." + kvc.getMetadata().getNamespace() + ".svc";
  }
}
