package io.kvorum.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailedAuthLogTest {
  @Test
  void oneLinePerIntervalHoweverManyFailures() {
    AtomicLong now = new AtomicLong();
    FailedAuthLog log = new FailedAuthLog(Duration.ofSeconds(10), now::get);
    assertThat(log.failed("alice", "etcdserver: authentication failed, invalid user ID or password")).isTrue();
    int lines = 0;
    for (int i = 0; i < 1000; i++) { // 1000 failures in 9.99 s
      now.addAndGet(Duration.ofMillis(10).toNanos() - 1);
      if (log.failed("user" + i, "wrong")) {
        lines++;
      }
    }
    assertThat(lines).isZero();
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(log.failed("bob", "wrong")).isTrue();
    assertThat(log.failed("bob", "wrong")).isFalse();
  }
}
