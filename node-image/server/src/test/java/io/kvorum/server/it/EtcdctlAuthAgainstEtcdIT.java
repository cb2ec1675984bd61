package io.kvorum.server.it;

import java.nio.file.Path;

/** The etcdctl auth matrix against etcd 3.4: shows every expected line is etcd's answer. */
class EtcdctlAuthAgainstEtcdIT extends EtcdctlAuthContract {
  @Override
  protected ClientCluster startCluster(Path dir) {
    return new EtcdReferenceCluster(dir, 1);
  }
}
