package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenLoopScheduleTest {

  @Test
  void clientsInterleaveEvenlyAtTheTotalRate() {
    // 1,000/s over 4 clients: together one request per millisecond, in client order
    List<Long> due = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      OpenLoopSchedule s = OpenLoopSchedule.forClient(0, 1_000, 4, c);
      for (int i = 0; i < 3; i++) {
        due.add(s.intendedStartNanos(i));
      }
    }
    Collections.sort(due);

    List<Long> everyMillisecond = new ArrayList<>();
    for (long ms = 0; ms < 12; ms++) {
      everyMillisecond.add(ms * 1_000_000);
    }
    assertThat(due).isEqualTo(everyMillisecond);
  }

  @Test
  void dueTimesDoNotDriftOverManyRequests() {
    // 3 requests per second: the period (333,333,333.33 ns) is not whole; adding a rounded
    // period would drift by 1/3 ns per request
    OpenLoopSchedule s = OpenLoopSchedule.forClient(1_000, 3, 1, 0);

    assertThat(s.intendedStartNanos(3_000_000)).isEqualTo(1_000 + 1_000_000L * 1_000_000_000L);
  }

  @Test
  void startOffsetsTheWholeSchedule() {
    OpenLoopSchedule s = OpenLoopSchedule.forClient(5_000_000_000L, 100, 2, 1);

    assertThat(s.intendedStartNanos(0)).isEqualTo(5_010_000_000L);
    assertThat(s.intendedStartNanos(1)).isEqualTo(5_030_000_000L);
  }

  @Test
  void rejectsRatesAndClientsThatMakeNoSchedule() {
    assertThatThrownBy(() -> OpenLoopSchedule.forClient(0, 0, 1, 0))
        .hasMessageContaining("rate must be positive");
    assertThatThrownBy(() -> OpenLoopSchedule.forClient(0, 10, 2, 2))
        .hasMessageContaining("client 2 is not in [0, 2)");
  }
}
