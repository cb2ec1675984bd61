package io.kvorum.server.it;

import java.nio.file.Path;

/** The etcdctl auth matrix against one kvorum member started from the jar. */
class EtcdctlAuthAgainstKvorumIT extends EtcdctlAuthContract {
  @Override
  protected ClientCluster startCluster(Path dir) {
    return new KvorumClientCluster(dir, 1);
  }
}
