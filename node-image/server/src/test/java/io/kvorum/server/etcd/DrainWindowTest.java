package io.kvorum.server.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.kvorum.server.api.EtcdException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DrainWindowTest {
  private long now = -5_000_000_000L; // nanoTime may be negative
  private final DrainWindow window = new DrainWindow(() -> now);

  @Test
  void notDrainedUntilSet() {
    assertThat(window.secondsLeft()).isZero();
  }

  @Test
  void aDrainCountsDownInWholeSecondsAndEndsByItself() {
    window.set(Duration.ofSeconds(60));
    assertThat(window.secondsLeft()).isEqualTo(60);

    now += 59_200_000_000L;
    assertThat(window.secondsLeft()).as("a partial second counts").isEqualTo(1);

    now += 800_000_000L;
    assertThat(window.secondsLeft()).isZero();
  }

  @Test
  void aNewDrainReplacesTheOldOneAndZeroEndsIt() {
    window.set(Duration.ofSeconds(60));
    now += 50_000_000_000L;
    window.set(Duration.ofSeconds(30));
    assertThat(window.secondsLeft()).isEqualTo(30);

    window.set(Duration.ZERO);
    assertThat(window.secondsLeft()).isZero();
  }

  @Test
  void refusesNegativeAndOverlongDrainsAndKeepsTheCurrentOne() {
    window.set(Duration.ofSeconds(60));

    for (Duration bad : new Duration[] {Duration.ofSeconds(-1), DrainWindow.MAX.plusSeconds(1)}) {
      assertThatThrownBy(() -> window.set(bad))
          .isInstanceOfSatisfying(EtcdException.class, e -> {
            assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("from 0 s (ends it) to 600 s");
          });
    }
    assertThat(window.secondsLeft()).isEqualTo(60);
  }
}
