package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class RoundsTest {

  @Test
  void evenRoundsReverseTheOrderSoNeitherSystemAlwaysGoesFirst() {
    assertThat(Rounds.order(List.of("etcd", "Kvorum"), 1)).containsExactly("etcd", "Kvorum");
    assertThat(Rounds.order(List.of("etcd", "Kvorum"), 2)).containsExactly("Kvorum", "etcd");
    assertThat(Rounds.order(List.of("etcd", "Kvorum"), 3)).containsExactly("etcd", "Kvorum");
  }

  @Test
  void oneRoundIsReportedAsItIs() {
    List<TargetResult> round = List.of(target("etcd", 800, 2.0, "PASS", 900, 100, 5));
    assertThat(Rounds.combine(List.of(round))).isSameAs(round);
  }

  @Test
  void figuresAreMediansOverRoundsWhateverOrderTheTargetsRanIn() {
    List<List<TargetResult>> rounds = List.of(
        List.of(target("etcd", 791, 2.8, "PASS", 3000, 100, 5),
            target("Kvorum", 959, 2.7, "FAIL", 3400, 300, 6)),
        List.of(target("Kvorum", 865, 3.0, "FAIL", 3300, 200, 5),
            target("etcd", 1020, 2.1, "FAIL", 3700, 150, 4)),
        List.of(target("etcd", 951, 2.5, "PASS", 3600, 120, 7),
            target("Kvorum", 1002, 2.2, "PASS", 3500, 250, 4)));

    List<TargetResult> combined = Rounds.combine(rounds);

    assertThat(combined).extracting(TargetResult::label).containsExactly("etcd", "Kvorum");
    WorkloadResult etcd = combined.get(0).workload("put");
    WorkloadResult kvorum = combined.get(1).workload("put");
    assertThat(etcd.opsPerSecond()).isEqualTo(951);
    assertThat(kvorum.opsPerSecond()).isEqualTo(959);
    assertThat(kvorum.p99()).isEqualTo(2.7);
    assertThat(kvorum.requests()).isEqualTo(3 * 1000);
    assertThat(kvorum.errors()).isEqualTo(3);
    assertThat(kvorum.max()).isEqualTo(30.0);
    // check perf: the round with the median writes/s, its verdict with it
    assertThat(combined.get(0).check("l").writesPerSecond()).hasValue(3600);
    assertThat(combined.get(0).check("l").verdict()).isEqualTo("PASS");
    assertThat(combined.get(1).check("l").writesPerSecond()).hasValue(3400);
    assertThat(combined.get(1).check("l").verdict()).isEqualTo("FAIL");
    // peak RSS: the highest per member; start: the median
    assertThat(combined.get(1).workloadRssKiB()).containsExactly(300, 200, 100);
    assertThat(combined.get(1).freshStart()).isEqualTo(Duration.ofSeconds(5));
    assertThat(combined.get(0).loadBefore()).isEqualTo("load; load; load");
  }

  @Test
  void anEvenNumberOfRoundsTakesTheMeanOfTheMiddleTwo() {
    assertThat(Rounds.median(List.of(4.0, 1.0, 3.0, 2.0), Double::doubleValue)).isEqualTo(2.5);
  }

  @Test
  void aWorkloadThatFailedInOneRoundIsTheMedianOfTheRoundsWhereItRan() {
    TargetResult ok = target("Kvorum", 900, 2.0, "PASS", 3000, 100, 5);
    TargetResult failed = new TargetResult("Kvorum", "java", "v", "load",
        List.of(WorkloadResult.failed("put", "UNAVAILABLE")), List.of(), null, null, null, null,
        0, "stopped");

    TargetResult combined = Rounds.combine(List.of(List.of(ok), List.of(failed))).getFirst();

    assertThat(combined.workload("put").ran()).isTrue();
    assertThat(combined.workload("put").opsPerSecond()).isEqualTo(900);
    assertThat(combined.failure()).isEqualTo("stopped");
  }

  @Test
  void theReportShowsEachRoundsRatioNextToTheRatioOfMedians() {
    List<List<TargetResult>> rounds = List.of(
        List.of(target("etcd", 800, 2.0, "PASS", 1, 1, 1), target("Kvorum", 1000, 2.0, "PASS", 1, 1, 1)),
        List.of(target("Kvorum", 700, 2.0, "PASS", 1, 1, 1), target("etcd", 1000, 2.0, "PASS", 1, 1, 1)));
    RunInfo run = new RunInfo(java.time.Instant.parse("2026-11-22T01:00:00Z"), "2 cores",
        new LatencySummary(new org.HdrHistogram.Histogram(3), 0, 1.0), Profile.QUICK, true);

    String md = Report.markdown(run, Rounds.combine(rounds), rounds);

    assertThat(md).contains("- Rounds: 2, each on fresh clusters")
        .contains("| workload | round 1 | round 2 | ratio of medians |")
        .contains("| put | 1.25 (800 / 1,000) | 0.70 (1,000 / 700) | 0.94 |");
  }

  private static TargetResult target(String label, double ops, double p99, String verdict,
      double checkWrites, long rss, long startSeconds) {
    WorkloadResult put = new WorkloadResult("put", ops, 1.0, 1.5, p99, p99 * 2, p99 * 10, 1000,
        1, null);
    CheckPerfResult check = new CheckPerfResult("l", verdict, OptionalDouble.of(checkWrites),
        OptionalDouble.of(0.3), OptionalDouble.of(0.02), "", null);
    return new TargetResult(label, "bin", "v", "load", List.of(put), List.of(check),
        new long[] {rss, 200, 100}, null, Duration.ofSeconds(startSeconds), null, 0, null);
  }
}
