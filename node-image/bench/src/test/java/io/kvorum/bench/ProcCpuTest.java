package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcCpuTest {

  @Test
  void ownAndReapedChildrensTimesInSecondsAtOneHundredTicks() {
    ProcCpu cpu = ProcCpu.parse("4242 (etcd) S 1 4242 4242 0 -1 4194560 1234 0 0 0 512 88 7 3 "
        + "20 0 12 0 99 123456789 4567 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0");

    assertThat(cpu.cpuSeconds()).isEqualTo(6.00);
    assertThat(cpu.childrenCpuSeconds()).isEqualTo(0.10);
  }

  @Test
  void aCommandWithSpacesAndParenthesesDoesNotShiftTheFields() {
    ProcCpu cpu = ProcCpu.parse("77 (java (x) y) R 1 77 77 0 -1 0 0 0 0 0 100 50 0 0 20 0 1 0");

    assertThat(cpu.cpuSeconds()).isEqualTo(1.5);
  }

  @Test
  void thisProcessCanBeRead() {
    assertThat(ProcCpu.self()).hasValueSatisfying(c -> assertThat(c.cpuSeconds()).isPositive());
  }

  @Test
  void aLineThatIsNotStatSaysSo() {
    assertThatThrownBy(() -> ProcCpu.parse("hello")).hasMessageContaining("not a /proc/<pid>/stat");
    assertThatThrownBy(() -> ProcCpu.parse("1 (x) S 1 2")).hasMessageContaining("short");
  }
}
