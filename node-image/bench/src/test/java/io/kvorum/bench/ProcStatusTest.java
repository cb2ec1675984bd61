package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcStatusTest {

  @Test
  void readsResidentAndPeakResidentMemory() {
    String status = "Name:\tetcd\nVmPeak:\t11290104 kB\nVmHWM:\t   67812 kB\nVmRSS:\t   61024 kB\n"
        + "Threads:\t12\n";

    assertThat(ProcStatus.parse(status)).isEqualTo(new ProcStatus(61_024, 67_812));
  }

  @Test
  void aStatusWithoutMemoryLinesIsRejected() {
    // a zombie process has no Vm* lines
    assertThatThrownBy(() -> ProcStatus.parse("Name:\tetcd\nState:\tZ (zombie)\n"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readsThisProcess() {
    assertThat(ProcStatus.read(ProcessHandle.current().pid()))
        .hasValueSatisfying(s -> assertThat(s.peakRssKiB()).isGreaterThanOrEqualTo(s.rssKiB())
            .isPositive());
  }
}
