package io.kvorum.server.it;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A contract whose tests share one cluster per class. Subclasses say which cluster: Kvorum (the
 * system under test) or etcd 3.4 (the reference the assertions were written against).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ClusterContract {
  protected ClientCluster cluster;
  /** The class's temporary directory, which also holds the cluster's data dirs. */
  protected Path dir;

  protected abstract ClientCluster startCluster(Path dir);

  @BeforeAll
  void start(@TempDir Path dir) {
    this.dir = dir;
    cluster = startCluster(dir);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }
}
