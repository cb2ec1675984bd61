package io.kvorum.server.version;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionTest {

  @Test
  void parsesAndOrdersIgnoringSuffix() {
    assertThat(Version.parse("1.1.0-SNAPSHOT")).isEqualByComparingTo(Version.parse("1.1.0"));
    assertThat(Version.parse("1.0.9").lessThan(Version.parse("1.1.0"))).isTrue();
    assertThat(Version.parse("2.0.0").compareTo(Version.parse("1.9.9"))).isPositive();
    assertThat(Version.parse("3.4").toString()).isEqualTo("3.4.0");
    assertThat(Version.parse("1.1.7").majorMinor().toString()).isEqualTo("1.1.0");
  }

  @Test
  void refusesGarbage() {
    assertThatThrownBy(() -> Version.parse("v1")).hasMessageContaining("'v1' is not a version");
  }

  @Test
  void buildVersionIsTheMavenVersion() {
    assertThat(ServerVersion.current().toString()).doesNotContain("${").matches("\\d+\\.\\d+\\.\\d+.*");
  }
}
