package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AotCacheTest {
  @TempDir Path dir;

  @Test
  void aBuildIsStartedWithTheCacheItWasTrainedInto() {
    ServerBinary.Kvorum build = new ServerBinary.Kvorum(Path.of("/jdk/bin/java"), Path.of("kvorum.jar"), List.of("-Xmx1g"));

    assertThat(AotCache.withOption(build, "-XX:AOTCache=/d/A.aot").command())
        .containsExactly("/jdk/bin/java", "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-XX:AOTCache=/d/A.aot", "-jar", "kvorum.jar");
  }

  @Test
  void aFailedTrainingLeavesTheBuildAsItWas() throws Exception {
    // /bin/false stands in for a java whose training run fails, as a build without aot-training does.
    ServerBinary.Kvorum build = new ServerBinary.Kvorum(Path.of("/bin/false"), Path.of("kvorum.jar"), List.of("-Xmx1g"));

    assertThat(AotCache.prepare(build, "A", dir)).isEqualTo(build);
  }

  @Test
  void etcdNeedsNoTraining() throws Exception {
    ServerBinary etcd = new ServerBinary.Etcd(Path.of("/usr/bin/etcd"));

    assertThat(AotCache.prepare(etcd, "etcd", dir)).isSameAs(etcd);
  }
}
