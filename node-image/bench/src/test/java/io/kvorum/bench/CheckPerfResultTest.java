package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CheckPerfResultTest {

  @Test
  void parsesAPassWithItsFigures() {
    String output = " 60 / 60 Boooooooooo! 100.00%\r 60 / 60 Booooooooooooo! 100.00% 1m0s\n"
        + "PASS: Throughput is 974 writes/s\n"
        + "PASS: Slowest request took 0.468174s\n"
        + "PASS: Stddev is 0.028241s\n"
        + "PASS\n";

    CheckPerfResult result = CheckPerfResult.parse("m", output);

    assertThat(result.verdict()).isEqualTo("PASS");
    assertThat(result.writesPerSecond()).hasValue(974);
    assertThat(result.slowestSeconds()).hasValue(0.468174);
    assertThat(result.stddevSeconds()).hasValue(0.028241);
  }

  @Test
  void parsesAFailureIncludingTheLineWithoutAPrefix() {
    String output = "FAIL: Throughput too low: 2903 writes/s\n"
        + "Slowest request took too long: 0.786915s\n"
        + "PASS: Stddev is 0.063215s\n"
        + "FAIL\n";

    CheckPerfResult result = CheckPerfResult.parse("l", output);

    assertThat(result.verdict()).isEqualTo("FAIL");
    assertThat(result.writesPerSecond()).hasValue(2903);
    assertThat(result.slowestSeconds()).hasValue(0.786915);
    assertThat(result.stddevSeconds()).hasValue(0.063215);
  }

  @Test
  void anOutputWithoutVerdictIsAnError() {
    CheckPerfResult result = CheckPerfResult.parse("s",
        "Error: context deadline exceeded\n");

    assertThat(result.verdict()).isEqualTo("ERROR");
    assertThat(result.writesPerSecond()).isEmpty();
  }
}
