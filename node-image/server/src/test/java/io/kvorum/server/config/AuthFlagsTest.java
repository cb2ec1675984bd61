package io.kvorum.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The auth and abuse-limit flags: etcd's names and defaults, and one-line refusals. */
class AuthFlagsTest {
  private static ServerConfig parse(String... args) {
    return FlagParser.parse(args, Map.of());
  }

  @Test
  void defaultsAreEtcds() {
    ServerConfig c = parse();
    assertThat(c.authTokenTtl()).isEqualTo(Duration.ofSeconds(300));
    assertThat(c.bcryptCost()).isEqualTo(10);
    assertThat(c.maxConcurrentStreams()).isEqualTo(4294967295L);
    assertThat(c.maxWatchers()).isEqualTo(100_000);
  }

  @Test
  void flagsAndVariablesAreRead() {
    ServerConfig c = parse("--auth-token=simple", "--auth-token-ttl", "5", "--bcrypt-cost=4", "--max-concurrent-streams=100", "--max-watchers=0");
    assertThat(c.authTokenTtl()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.bcryptCost()).isEqualTo(4);
    assertThat(c.maxConcurrentStreams()).isEqualTo(100);
    assertThat(c.maxWatchers()).isZero();
    assertThat(FlagParser.parse(new String[0], Map.of("ETCD_AUTH_TOKEN_TTL", "7")).authTokenTtl()).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void badValuesAreRefusedWithTheReason() {
    assertThatThrownBy(() -> parse("--auth-token=jwt,pub-key=k.pub,priv-key=k,sign-method=RS256"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("supports only simple tokens");
    assertThatThrownBy(() -> parse("--auth-token-ttl=0")).hasMessageContaining("--auth-token-ttl must be at least 1");
    assertThatThrownBy(() -> parse("--bcrypt-cost=3")).hasMessageContaining("--bcrypt-cost must be at least 4");
    assertThatThrownBy(() -> parse("--bcrypt-cost=32")).hasMessageContaining("--bcrypt-cost must be between 4 and 31");
    assertThatThrownBy(() -> parse("--max-concurrent-streams=0")).hasMessageContaining("--max-concurrent-streams must be at least 1");
    assertThatThrownBy(() -> parse("--max-concurrent-streams=4294967296")).hasMessageContaining("at most 4294967295");
    assertThatThrownBy(() -> parse("--max-watchers=-1")).hasMessageContaining("--max-watchers must be at least 0");
  }
}
