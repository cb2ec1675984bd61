package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalDouble;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

  private static final WorkloadResult ETCD_PUT =
      new WorkloadResult("put 256B/1KiB c=16", 1000, 10, 15, 40, 80, 120, 20_000, 0, null);
  private static final WorkloadResult KVORUM_PUT =
      new WorkloadResult("put 256B/1KiB c=16", 1500, 6, 9, 20, 30, 50, 30_000, 2, null);

  private final RunInfo run = new RunInfo(Instant.parse("2026-11-22T01:00:00Z"),
      "2 cores (test CPU)", fsync(), Profile.QUICK, true);

  @Test
  void comparisonTableShowsBothSystemsAndTheRatio() {
    String md = Report.markdown(run, List.of(
        target("etcd", List.of(ETCD_PUT)),
        target("Kvorum", List.of(KVORUM_PUT))));

    assertThat(md).contains("# Kvorum benchmark, 2026-11-22 01:00 UTC")
        .contains("| workload | etcd ops/s | Kvorum ops/s | ratio | etcd p50 ms | etcd p99 ms "
            + "| Kvorum p50 ms | Kvorum p99 ms | errors |")
        .contains("| put 256B/1KiB c=16 | 1,000 | 1,500 | 1.50 | 10.0 | 40.0 | 6.00 | 20.0 "
            + "| 0 / 2 |")
        .contains("| put 256B/1KiB c=16 | 1,500 | 6.00 | 9.00 | 20.0 | 30.0 | 50.0 | 30000 | 2 |")
        .contains("| m | PASS | 974 | 0.468 | 0.028 | 41 / 79 | PASS | 974 | 0.468 | 0.028 "
            + "| 41 / 79 |")
        .contains("| peak RSS per member, workloads, MiB | 64 / 65 / 66 | 64 / 65 / 66 |")
        .contains("| peak RSS per member, data set + restart, MiB | 100 / 0 / 0 | 100 / 0 / 0 |")
        .contains("| restart to serving with data, s | 2.5 (64 MiB) | 2.5 (64 MiB) |")
        .contains("- Kvorum: `/usr/bin/Kvorum` answered {\"etcdserver\":\"3.4.23\"}; load average "
            + "(1/5/15 min) before its run: 0.10 0.20 0.30")
        .doesNotContain("only**");
  }

  @Test
  void aSingleSystemRunSaysSoAndHasNoRatio() {
    TargetResult etcd = target("etcd", List.of(ETCD_PUT));
    TargetResult withoutDataSet = new TargetResult(etcd.label(), etcd.binary(), etcd.version(),
        etcd.loadBefore(), etcd.workloads(), List.of(), etcd.workloadRssKiB(), null,
        etcd.freshStart(), null, 0, null);
    String md = Report.markdown(run, List.of(withoutDataSet));

    assertThat(md).contains("**etcd only**")
        .contains("| peak RSS per member, data set + restart, MiB | — |")
        .contains("| restart to serving with data, s | — |")
        .doesNotContain("check perf")
        .contains("| workload | etcd ops/s | etcd p50 ms | etcd p99 ms | errors |")
        .doesNotContain("ratio");
  }

  @Test
  void aFailedWorkloadIsShownAsFailedWithoutARatio() {
    WorkloadResult failed = WorkloadResult.failed("put 256B/1KiB c=16", "UNAVAILABLE | refused");
    String md = Report.markdown(run, List.of(
        target("etcd", List.of(ETCD_PUT)), target("Kvorum", List.of(failed))));

    assertThat(md).contains("| put 256B/1KiB c=16 | 1,000 | failed | — | 10.0 | 40.0 | failed "
        + "| failed | 0 / failed |")
        .contains("failed: UNAVAILABLE / refused");
  }

  @Test
  void csvHasOneRowPerSystemAndWorkloadAndQuotesWhereNeeded() {
    String csv = Report.csv(List.of(
        target("etcd", List.of(ETCD_PUT)),
        target("Kvorum", List.of(WorkloadResult.failed("txn cas c=64", "said \"no\", twice")))));

    assertThat(csv.split("\n")).containsExactly(
        "target,workload,ops_per_sec,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,requests,errors,failure",
        "etcd,put 256B/1KiB c=16,1000.0,10.000,15.000,40.000,80.000,120.000,20000,0,",
        "Kvorum,txn cas c=64,0.0,0.000,0.000,0.000,0.000,0.000,0,0,\"said \"\"no\"\", twice\"");
  }

  @Test
  void chartsAreWrittenAsPngs(@TempDir Path dir) throws IOException {
    Charts.write(List.of(target("etcd", List.of(ETCD_PUT)),
        target("Kvorum", List.of(KVORUM_PUT))), dir);

    for (String name : List.of("throughput.png", "p99.png")) {
      byte[] png = Files.readAllBytes(dir.resolve(name));
      assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    }
  }

  private static TargetResult target(String label, List<WorkloadResult> workloads) {
    CheckPerfResult check = new CheckPerfResult("m", "PASS", OptionalDouble.of(974),
        OptionalDouble.of(0.468174), OptionalDouble.of(0.028241), "",
        new CheckPerfResult.CpuUse(41.4, 78.6));
    return new TargetResult(label, "/usr/bin/" + label, "{\"etcdserver\":\"3.4.23\"}",
        "0.10 0.20 0.30", workloads, List.of(check), new long[] {65_536, 66_560, 67_584},
        new long[] {102_400, 0, 0}, Duration.ofMillis(800), Duration.ofMillis(2500), 64, null);
  }

  private static LatencySummary fsync() {
    Histogram h = new Histogram(3);
    h.recordValueWithCount(750, 100);
    return new LatencySummary(h, 0, 1.0);
  }
}
