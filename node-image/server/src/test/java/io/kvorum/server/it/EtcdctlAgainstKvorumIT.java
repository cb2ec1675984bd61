package io.kvorum.server.it;

import java.nio.file.Path;

/** The etcdctl contract against a 3-member kvorum cluster started from the jar. */
class EtcdctlAgainstKvorumIT extends EtcdctlClusterContract {
  @Override
  protected ClientCluster startCluster(Path dir) {
    return new KvorumClientCluster(dir, 3);
  }
}
