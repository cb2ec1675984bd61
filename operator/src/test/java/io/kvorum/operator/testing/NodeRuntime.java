package io.kvorum.operator.testing;

import java.net.URI;
import java.util.Map;

/** Where the fake kubelet starts and stops node processes. */
public interface NodeRuntime {

  void start(URI clientUrl, String name, URI peerUrl, String version, Map<String, URI> initialCluster);

  void stop(URI clientUrl);

  /** What the node's /readyz would answer: the kubelet marks the pod Ready from it. */
  boolean ready(URI clientUrl);
}
