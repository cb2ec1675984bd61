package io.kvorum.server.it;

import java.nio.file.Path;

/** The jetcd contract against a 3-member kvorum cluster started from the jar. */
class JetcdAgainstKvorumIT extends JetcdClusterContract {
  @Override
  protected ClientCluster startCluster(Path dir) {
    return new KvorumClientCluster(dir, 3);
  }
}
