package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

  @Test
  void mergingKeepsEveryRequestSoPercentilesAreOfAllRequests() {
    // worker 0 is fast (100 requests of 1 ms), worker 1 slow (100 requests of 100 ms): the
    // median of all requests is fast, p99 slow; averaging per-worker p99s would say 50 ms
    Histogram fast = histogram(1_000, 100);
    Histogram slow = histogram(100_000, 100);

    LatencySummary summary = LatencySummary.merge(List.of(fast, slow), 3, 2.0);

    assertThat(summary.count()).isEqualTo(200);
    assertThat(summary.opsPerSecond()).isEqualTo(100.0);
    assertThat(summary.errors()).isEqualTo(3);
    assertThat(summary.percentileMillis(50)).isCloseTo(1.0, within(0.01));
    assertThat(summary.percentileMillis(99)).isCloseTo(100.0, within(0.1));
    assertThat(summary.maxMillis()).isCloseTo(100.0, within(0.1));
    assertThat(fast.getTotalCount()).as("inputs are not modified").isEqualTo(100);
  }

  @Test
  void anEmptyWindowReportsZeroInsteadOfFailing() {
    LatencySummary summary = LatencySummary.merge(List.of(), 7, 1.0);

    assertThat(summary.opsPerSecond()).isZero();
    assertThat(summary.percentileMillis(99)).isZero();
    assertThat(summary.maxMillis()).isZero();
    assertThat(summary.errors()).isEqualTo(7);
  }

  @Test
  void aWindowMustHaveALength() {
    assertThatThrownBy(() -> LatencySummary.merge(List.of(), 0, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
  }

  @Test
  void recordersDiscardTheWarmUpAndHarvestOnlyTheWindow() {
    LatencyRecorders recorders = new LatencyRecorders(2);
    recorders.recordNanos(0, 50_000_000); // warm-up: 50 ms
    recorders.recordError(1);
    recorders.discard();
    recorders.recordNanos(0, 2_000_000);
    recorders.recordNanos(1, 4_000_000);
    recorders.recordError(1);

    LatencySummary window = recorders.harvest(1.0);

    assertThat(window.count()).isEqualTo(2);
    assertThat(window.errors()).isEqualTo(1);
    assertThat(window.maxMillis()).isCloseTo(4.0, within(0.01));
    assertThat(recorders.harvest(1.0).count()).as("a harvest empties the recorders").isZero();
  }

  private static Histogram histogram(long micros, int count) {
    Histogram h = new Histogram(3);
    h.recordValueWithCount(micros, count);
    return h;
  }
}
