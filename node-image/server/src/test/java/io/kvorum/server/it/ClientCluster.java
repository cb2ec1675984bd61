package io.kvorum.server.it;

import java.util.List;

/**
 * A running cluster on loopback that the client-facing ITs drive through etcdctl, curl and
 * jetcd. Implemented over kvorum's {@code LocalCluster} (the system under test) and over real
 * etcd 3.4 processes ({@link EtcdReferenceCluster}), so every client-facing assertion is shown
 * to hold for etcd itself: kvorum must answer exactly as etcd does.
 */
public interface ClientCluster extends AutoCloseable {
  /** {@code host:port} of each member's client port, in member order. */
  List<String> clientEndpoints();

  default String clientEndpoint(int member) {
    return clientEndpoints().get(member);
  }

  default String allEndpoints() {
    return String.join(",", clientEndpoints());
  }

  /** SIGKILL, no goodbye. */
  void kill(int member);

  /** Starts a killed member again on its data dir and waits until its client port answers. */
  void restart(int member);

  /** A peer URL on loopback nobody listens on, for {@code member add}. */
  String unusedPeerUrl();

  @Override
  void close();
}
