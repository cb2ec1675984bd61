package io.kvorum.server.it;

import java.nio.file.Path;

/** The jetcd contract against real etcd 3.4: shows the contract describes etcd itself. */
class JetcdAgainstEtcdIT extends JetcdClusterContract {
  @Override
  protected ClientCluster startCluster(Path dir) {
    return new EtcdReferenceCluster(dir, 3);
  }
}
