package io.kvorum.server.version;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirVersionTest {

  @Test
  void recordsAndRefusesAnOlderBinary(@TempDir Path member) {
    assertThat(DataDirVersion.read(member)).isEmpty();
    DataDirVersion.write(member, "1.1.0");
    Version recorded = DataDirVersion.read(member).orElseThrow();
    assertThat(recorded).isEqualTo(Version.parse("1.1.0"));
    assertThat(DataDirVersion.refusal(recorded, Version.parse("1.1.3"))).isNull();
    assertThat(DataDirVersion.refusal(recorded, Version.parse("1.2.0"))).isNull();
    assertThat(DataDirVersion.refusal(recorded, Version.parse("1.0.9")))
        .contains("cluster at version 1.1 but this server is 1.0.9")
        .contains("restore the snapshot taken before the upgrade");
  }
}
