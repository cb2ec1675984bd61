package io.kvorum.operator.testing;

import java.net.URI;
import java.util.Map;

/** Where the fake kubelet starts and stops node processes. */
public interface NodeRuntime {

  void start(URI clientUrl, String name, URI peerUrl, String version, Map<String, URI> initialCluster);

  void stop(URI clientUrl);
}
