package io.kvorum.server.it;

import java.nio.file.Path;

/** The etcdctl contract against real etcd 3.4: shows the contract describes etcd itself. */
class EtcdctlAgainstEtcdIT extends EtcdctlClusterContract {
  @Override
  protected ClientCluster startCluster(Path dir) {
    return new EtcdReferenceCluster(dir, 3);
  }
}
