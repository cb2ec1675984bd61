package io.kvorum.server.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.snap.BackendSnapshot;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotPaddingTest {

  @Test
  void paddedSnapshotIsPageAlignedAndStillVerifies(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("s.db");
    try (Backend backend = Backend.open(dir.resolve("db"));
        OutputStream out = Files.newOutputStream(file)) {
      BackendSnapshot.write(backend, dir.resolve("scratch"), out);
    }
    SnapshotPadding.padTo512(file);
    assertThat((Files.size(file) - BackendSnapshot.TRAILER_BYTES) % 512).isZero();
    BackendSnapshot.verify(file);
    BackendSnapshot.restore(file, dir.resolve("restored"));
    assertThat(Backend.exists(dir.resolve("restored"))).isTrue();
  }
}
