package io.kvorum.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SimpleTokensTest {
  private final AtomicLong now = new AtomicLong();
  private final SimpleTokens tokens = new SimpleTokens(Duration.ofSeconds(300), now::get);

  @Test
  void tokenIsPrefixDotIndexAndNamesItsUser() {
    String prefix = SimpleTokens.newPrefix();
    assertThat(prefix).matches("[a-zA-Z]{16}");
    String token = tokens.assign(prefix, 42, "alice");
    assertThat(token).isEqualTo(prefix + ".42");
    assertThat(SimpleTokens.index(token)).isEqualTo(42);
    assertThat(tokens.use(token)).contains("alice");
    assertThat(tokens.use(prefix + ".43")).isEmpty();
  }

  @Test
  void unusedTokenExpiresAfterTtlAndUseRestartsTheClock() {
    String token = tokens.assign("abc", 1, "alice");
    now.addAndGet(Duration.ofSeconds(299).toNanos());
    assertThat(tokens.use(token)).contains("alice");
    now.addAndGet(Duration.ofSeconds(299).toNanos());
    assertThat(tokens.use(token)).as("used 299 s ago").contains("alice");
    now.addAndGet(Duration.ofSeconds(301).toNanos());
    assertThat(tokens.use(token)).isEmpty();
    assertThat(tokens.use(token)).as("stays gone").isEmpty();
  }

  @Test
  void invalidateUserAndClearDropTokens() {
    String a = tokens.assign("aaa", 1, "alice");
    String b = tokens.assign("bbb", 2, "bob");
    tokens.invalidateUser("alice");
    assertThat(tokens.use(a)).isEmpty();
    assertThat(tokens.use(b)).contains("bob");
    tokens.clear();
    assertThat(tokens.use(b)).isEmpty();
  }

  @Test
  void malformedTokensHaveNoIndex() {
    assertThat(SimpleTokens.index("nodot")).isEqualTo(-1);
    assertThat(SimpleTokens.index("abc.")).isEqualTo(-1);
    assertThat(SimpleTokens.index(".5")).isEqualTo(-1);
    assertThat(SimpleTokens.index("abc.x")).isEqualTo(-1);
  }

  @Test
  void ttlMustBePositive() {
    assertThatThrownBy(() -> new SimpleTokens(Duration.ZERO, now::get)).hasMessageContaining("--auth-token-ttl");
  }
}
