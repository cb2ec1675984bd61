package io.kvorum.storage.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that is killed must not leave RocksDB's 17 MB native library behind in
 * {@code java.io.tmpdir}: RocksDB's own loader deletes its copy only at a normal exit.
 */
class RocksDbLibraryIT {

  @Test
  void aKilledProcessLeavesNoCopyOfTheNativeLibrary(@TempDir Path dir) throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx128m",
        "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
        BackendHolder.class.getName(), dir.resolve("db").toString())
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).as("the child opened its backend").isEqualTo("open");
      assertThat(files(tmp)).as("while the backend is open").isEmpty();
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(files(tmp)).as("after SIGKILL").isEmpty();
  }

  private static List<String> files(Path dir) throws Exception {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).toList();
    }
  }
}
