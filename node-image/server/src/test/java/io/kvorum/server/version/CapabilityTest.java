package io.kvorum.server.version;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CapabilityTest {

  @Test
  void featureIsOffBelowItsVersionAndWhileUndecided() {
    assertThat(Capability.BATCHED_LEASE_REVOKE.enabledAt("")).isFalse();
    assertThat(Capability.BATCHED_LEASE_REVOKE.enabledAt("1.0.0")).isFalse();
    assertThat(Capability.BATCHED_LEASE_REVOKE.enabledAt("1.1.0")).isTrue();
    assertThat(Capability.BATCHED_LEASE_REVOKE.enabledAt("1.2.0")).isTrue();
    assertThat(Capability.BATCHED_LEASE_REVOKE.enabledAt("2.0.0")).isFalse();
    assertThat(Capability.enabledNames("1.0.0")).isEmpty();
    assertThat(Capability.enabledNames("1.1.0")).containsExactly("BATCHED_LEASE_REVOKE");
  }
}
