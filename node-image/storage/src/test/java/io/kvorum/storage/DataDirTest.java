package io.kvorum.storage;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.wal.WalStorage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirTest {
  @TempDir
  Path root;

  @Test
  void walWithoutBackendRefusesToStart() {
    DataDir d = new DataDir(root);
    assertThatCode(d::checkStartable).as("a new member").doesNotThrowAnyException();
    WalStorage.create(d.walDir(), d.snapDir(), ByteString.EMPTY, 1 << 20).close();
    assertThatThrownBy(d::checkStartable)
        .isInstanceOf(DataDir.DataDirException.class)
        .hasMessageContaining("has a WAL")
        .hasMessageContaining(d.dbDir().toString())
        .hasMessageContaining("is missing");
    Backend.open(d.dbDir()).close();
    assertThatCode(d::checkStartable).doesNotThrowAnyException();
  }
}
