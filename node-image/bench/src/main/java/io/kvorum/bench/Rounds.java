package io.kvorum.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Repeated rounds ({@code --rounds N}): each round measures every target again on fresh
 * clusters, and the report shows the median of each figure.
 *
 * <p>Why: on a shared 2-core machine a row can move 15-30 % between two runs of the same build
 * (background work, page cache, which core the leader lands on), which is as large as the
 * difference being measured. Alternating the order cancels slow drift: round 1 runs etcd then
 * Kvorum, round 2 Kvorum then etcd, and so on, so neither system always goes first onto a
 * machine that has just cooled down. The per-round ratios go into the report too, so a reader
 * sees the spread and not only the median.
 *
 * <p>Example, three rounds of one row: etcd 791, 1,020, 951 ops/s and Kvorum 959, 865, 1,002
 * ops/s give medians 951 and 959 (ratio 1.01) and per-round ratios 1.21, 0.85, 1.05.
 */
final class Rounds {
  private Rounds() {}

  /** The order in which round {@code round} (1-based) measures the targets. */
  static <T> List<T> order(List<T> targets, int round) {
    if (round % 2 == 1) {
      return targets;
    }
    return targets.reversed();
  }

  /**
   * One result per target, in the order of {@code rounds.getFirst()}, from the rounds' results of
   * that target (every round holds every target, in any order):
   *
   * <ul>
   *   <li>each workload figure is the median over the rounds in which the workload ran; requests
   *       and errors are summed, max is the maximum;
   *   <li>check perf: per load, the round whose writes/s is the median (its verdict with it);
   *   <li>peak RSS: the highest per member; start times: the median;
   *   <li>the first failure, if any round stopped early.
   * </ul>
   */
  static List<TargetResult> combine(List<List<TargetResult>> rounds) {
    if (rounds.size() == 1) {
      return rounds.getFirst();
    }
    List<TargetResult> combined = new ArrayList<>();
    for (TargetResult first : rounds.getFirst()) {
      List<TargetResult> same = rounds.stream().map(r -> find(r, first.label())).toList();
      combined.add(combineTarget(same));
    }
    return combined;
  }

  static TargetResult find(List<TargetResult> round, String label) {
    return round.stream().filter(t -> t.label().equals(label)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no result for " + label));
  }

  private static TargetResult combineTarget(List<TargetResult> same) {
    TargetResult first = same.getFirst();
    List<WorkloadResult> workloads = new ArrayList<>();
    for (String name : Report.workloadNames(same)) {
      workloads.add(combineWorkload(name, same.stream().map(t -> t.workload(name))
          .filter(Objects::nonNull).toList()));
    }
    List<CheckPerfResult> checks = new ArrayList<>();
    for (CheckPerfResult c : first.checks()) {
      List<CheckPerfResult> runs = same.stream().map(t -> t.check(c.load()))
          .filter(Objects::nonNull)
          .sorted(Comparator.comparingDouble(r -> r.writesPerSecond().orElse(-1))).toList();
      checks.add(runs.get((runs.size() - 1) / 2));
    }
    String loads = String.join("; ", same.stream().map(TargetResult::loadBefore).toList());
    String failure = same.stream().map(TargetResult::failure).filter(Objects::nonNull)
        .findFirst().orElse(null);
    return new TargetResult(first.label(), first.binary(), first.version(), loads, workloads,
        checks, highest(same, TargetResult::workloadRssKiB),
        highest(same, TargetResult::dataSetRssKiB), medianDuration(same, TargetResult::freshStart),
        medianDuration(same, TargetResult::restartWithData), first.datasetMiB(), failure);
  }

  private static WorkloadResult combineWorkload(String name, List<WorkloadResult> runs) {
    List<WorkloadResult> ran = runs.stream().filter(WorkloadResult::ran).toList();
    if (ran.isEmpty()) {
      return runs.getFirst();
    }
    return new WorkloadResult(name, median(ran, WorkloadResult::opsPerSecond),
        median(ran, WorkloadResult::p50), median(ran, WorkloadResult::p90),
        median(ran, WorkloadResult::p99), median(ran, WorkloadResult::p999),
        ran.stream().mapToDouble(WorkloadResult::max).max().orElseThrow(),
        ran.stream().mapToLong(WorkloadResult::requests).sum(),
        ran.stream().mapToLong(WorkloadResult::errors).sum(), null);
  }

  /** The median; with an even count, the mean of the middle two. */
  static <T> double median(List<T> values, ToDoubleFunction<T> figure) {
    double[] sorted = values.stream().mapToDouble(figure).sorted().toArray();
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  private static Duration medianDuration(List<TargetResult> same,
      Function<TargetResult, Duration> figure) {
    List<Duration> measured = same.stream().map(figure).filter(Objects::nonNull).toList();
    return measured.isEmpty() ? null
        : Duration.ofNanos((long) median(measured, d -> (double) d.toNanos()));
  }

  /** Per member, the highest peak over the rounds; null if no round measured it. */
  private static long[] highest(List<TargetResult> same, Function<TargetResult, long[]> rss) {
    long[] high = null;
    for (TargetResult t : same) {
      long[] kib = rss.apply(t);
      if (kib == null) {
        continue;
      }
      if (high == null) {
        high = Arrays.copyOf(kib, kib.length);
      } else {
        for (int i = 0; i < Math.min(high.length, kib.length); i++) {
          high[i] = Math.max(high[i], kib[i]);
        }
      }
    }
    return high;
  }
}
