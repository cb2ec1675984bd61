package io.kvorum.bench;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The results of a run as Markdown (for people and the README) and CSV (for tools). The first
 * target is the baseline: with two targets the main table shows the second's throughput divided
 * by the first's, so "1.20" means the second does 20% more operations per second.
 */
final class Report {

  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

  private Report() {}

  static String markdown(RunInfo run, List<TargetResult> targets) {
    return markdown(run, targets, List.of(targets));
  }

  /**
   * The report of a run of several rounds: {@code targets} are the rounds {@link
   * Rounds#combine combined}, and a table shows each round's ratios.
   */
  static String markdown(RunInfo run, List<TargetResult> targets,
      List<List<TargetResult>> rounds) {
    StringBuilder md = new StringBuilder();
    md.append("# Kvorum benchmark, ").append(DATE.format(run.started())).append("\n\n");
    if (targets.size() == 1) {
      md.append("**").append(targets.getFirst().label())
          .append(" only**: no comparison in this run.\n\n");
    }
    md.append("- Machine: ").append(run.machine()).append('\n');
    md.append("- Disk: 4 KiB write + fdatasync p50 ").append(ms(run.fsync().percentileMillis(50)))
        .append(" ms, p99 ").append(ms(run.fsync().percentileMillis(99))).append(" ms, max ")
        .append(ms(run.fsync().maxMillis())).append(" ms (").append(run.fsync().count())
        .append(" writes)\n");
    md.append("- Profile: ").append(run.profile().name()).append(", ")
        .append(run.profile().clusterWarmup().toSeconds())
        .append(" s of unrecorded load on each fresh cluster, then warm-up ")
        .append(run.profile().timing().warmup().toSeconds()).append(" s + measured ")
        .append(run.profile().timing().measure().toSeconds()).append(" s per workload; ")
        .append(run.leaderOnly() ? "put/range/txn clients connect to the leader"
            : "put/range/txn clients spread over all members")
        .append(", watchers over all members\n");
    if (rounds.size() > 1) {
      md.append("- Rounds: ").append(rounds.size()).append(", each on fresh clusters, the order "
          + "alternating (odd rounds as listed below, even rounds reversed); every figure below "
          + "is the median over the rounds, peak RSS the highest\n");
    }
    for (TargetResult t : targets) {
      md.append("- ").append(t.label()).append(": `").append(t.binary()).append("` answered ")
          .append(t.version()).append("; load average (1/5/15 min) before its run: ")
          .append(t.loadBefore()).append('\n');
    }
    md.append('\n');
    comparisonTable(md, targets);
    if (rounds.size() > 1 && targets.size() == 2) {
      roundsTable(md, targets, rounds);
    }
    for (TargetResult t : targets) {
      detailTable(md, t);
    }
    checkPerfTable(md, targets);
    memoryAndStartupTable(md, targets);
    return md.toString();
  }

  /**
   * Workload, each target's ops/s, the ratio (two targets), each target's p50 and p99, and the
   * errors of each target ("0 / 12": none for the first, 12 for the second).
   */
  private static void comparisonTable(StringBuilder md, List<TargetResult> targets) {
    List<String> workloads = workloadNames(targets);
    List<String> header = new ArrayList<>(List.of("workload"));
    for (TargetResult t : targets) {
      header.add(t.label() + " ops/s");
    }
    if (targets.size() == 2) {
      header.add("ratio");
    }
    for (TargetResult t : targets) {
      header.add(t.label() + " p50 ms");
      header.add(t.label() + " p99 ms");
    }
    header.add("errors");
    md.append(row(header)).append(separator(header.size()));
    for (String name : workloads) {
      List<String> cells = new ArrayList<>(List.of(name));
      for (TargetResult t : targets) {
        cells.add(cell(t.workload(name), w -> ops(w.opsPerSecond())));
      }
      if (targets.size() == 2) {
        cells.add(ratio(targets.get(0).workload(name), targets.get(1).workload(name)));
      }
      StringJoiner errors = new StringJoiner(" / ");
      for (TargetResult t : targets) {
        cells.add(cell(t.workload(name), w -> ms(w.p50())));
        cells.add(cell(t.workload(name), w -> ms(w.p99())));
        errors.add(cell(t.workload(name), w -> Long.toString(w.errors())));
      }
      cells.add(errors.toString());
      md.append(row(cells));
    }
    md.append('\n');
  }

  /**
   * Per workload and round, the second target's throughput over the first's with both figures,
   * e.g. "0.85 (1,020 / 865)", so the spread behind each median ratio is visible.
   */
  private static void roundsTable(StringBuilder md, List<TargetResult> targets,
      List<List<TargetResult>> rounds) {
    String baseline = targets.get(0).label();
    String candidate = targets.get(1).label();
    md.append("Ratio per round (").append(candidate).append(" / ").append(baseline)
        .append(", with both ops/s):\n\n");
    List<String> header = new ArrayList<>(List.of("workload"));
    for (int r = 1; r <= rounds.size(); r++) {
      header.add("round " + r);
    }
    header.add("ratio of medians");
    md.append(row(header)).append(separator(header.size()));
    for (String name : workloadNames(targets)) {
      List<String> cells = new ArrayList<>(List.of(name));
      for (List<TargetResult> round : rounds) {
        WorkloadResult a = Rounds.find(round, baseline).workload(name);
        WorkloadResult b = Rounds.find(round, candidate).workload(name);
        String ratio = ratio(a, b);
        cells.add(ratio.equals("—") ? ratio
            : ratio + " (" + ops(a.opsPerSecond()) + " / " + ops(b.opsPerSecond()) + ")");
      }
      cells.add(ratio(targets.get(0).workload(name), targets.get(1).workload(name)));
      md.append(row(cells));
    }
    md.append('\n');
  }

  /** Every figure of one target, and why it stopped if it did. */
  private static void detailTable(StringBuilder md, TargetResult t) {
    md.append("## ").append(t.label()).append("\n\n");
    if (t.failure() != null) {
      md.append("**The run stopped early:** ").append(t.failure()).append("\n\n");
    }
    List<String> detail = List.of("workload", "ops/s", "p50 ms", "p90 ms", "p99 ms",
        "p99.9 ms", "max ms", "requests", "errors");
    md.append(row(detail)).append(separator(detail.size()));
    for (WorkloadResult w : t.workloads()) {
      if (!w.ran()) {
        md.append(row(List.of(w.workload(), "failed: " + w.failure().replace('|', '/'), "", "",
            "", "", "", "", "")));
        continue;
      }
      md.append(row(List.of(w.workload(), ops(w.opsPerSecond()), ms(w.p50()), ms(w.p90()),
          ms(w.p99()), ms(w.p999()), ms(w.max()), Long.toString(w.requests()),
          Long.toString(w.errors()))));
    }
    md.append('\n');
  }

  /** The verdict and figures of etcdctl check perf per load; nothing when none ran. */
  private static void checkPerfTable(StringBuilder md, List<TargetResult> targets) {
    Set<String> loads = new LinkedHashSet<>();
    targets.forEach(t -> t.checks().forEach(c -> loads.add(c.load())));
    if (!loads.isEmpty()) {
      md.append("## etcdctl check perf\n\n");
      List<String> checkHeader = new ArrayList<>(List.of("load"));
      for (TargetResult t : targets) {
        checkHeader.add(t.label() + " verdict");
        checkHeader.add(t.label() + " writes/s");
        checkHeader.add(t.label() + " slowest s");
        checkHeader.add(t.label() + " stddev s");
        checkHeader.add(t.label() + " CPU s, etcdctl / members");
      }
      md.append(row(checkHeader)).append(separator(checkHeader.size()));
      for (String load : loads) {
        List<String> cells = new ArrayList<>(List.of(load));
        for (TargetResult t : targets) {
          CheckPerfResult c = t.check(load);
          cells.add(c == null ? "—" : c.verdict());
          cells.add(c == null || c.writesPerSecond().isEmpty() ? "—"
              : ops(c.writesPerSecond().getAsDouble()));
          cells.add(c == null || c.slowestSeconds().isEmpty() ? "—"
              : String.format(Locale.ROOT, "%.3f", c.slowestSeconds().getAsDouble()));
          cells.add(c == null || c.stddevSeconds().isEmpty() ? "—"
              : String.format(Locale.ROOT, "%.3f", c.stddevSeconds().getAsDouble()));
          cells.add(c == null || c.cpu() == null ? "—"
              : String.format(Locale.ROOT, "%.0f / %.0f", c.cpu().clientSeconds(),
                  c.cpu().membersSeconds()));
        }
        md.append(row(cells));
      }
      md.append('\n');
    }
  }

  private static void memoryAndStartupTable(StringBuilder md, List<TargetResult> targets) {
    md.append("## Memory and startup\n\n");
    List<String> memHeader = new ArrayList<>(List.of(""));
    targets.forEach(t -> memHeader.add(t.label()));
    md.append(row(memHeader)).append(separator(memHeader.size()));
    List<String> rss = new ArrayList<>(List.of("peak RSS per member, workloads, MiB"));
    List<String> dataRss = new ArrayList<>(List.of("peak RSS per member, data set + restart, MiB"));
    List<String> fresh = new ArrayList<>(List.of("start to serving, empty, s"));
    List<String> restart = new ArrayList<>(List.of("restart to serving with data, s"));
    for (TargetResult t : targets) {
      rss.add(mib(t.workloadRssKiB()));
      dataRss.add(mib(t.dataSetRssKiB()));
      fresh.add(t.freshStart() == null ? "—" : seconds(t.freshStart().toMillis()));
      restart.add(t.restartWithData() == null ? "—"
          : seconds(t.restartWithData().toMillis()) + " (" + t.datasetMiB() + " MiB)");
    }
    md.append(row(rss)).append(row(dataRss)).append(row(fresh)).append(row(restart));
  }

  /** Each member's KiB as MiB, e.g. "64 / 65 / 66"; "—" when not measured. */
  private static String mib(long[] kibPerMember) {
    if (kibPerMember == null) {
      return "—";
    }
    StringJoiner members = new StringJoiner(" / ");
    for (long kib : kibPerMember) {
      members.add(Long.toString(Math.round(kib / 1024.0)));
    }
    return members.toString();
  }

  /** One line per target and workload; latencies in milliseconds. */
  static String csv(List<TargetResult> targets) {
    StringBuilder csv = new StringBuilder("target,workload,ops_per_sec,p50_ms,p90_ms,p99_ms,"
        + "p999_ms,max_ms,requests,errors,failure\n");
    for (TargetResult t : targets) {
      for (WorkloadResult w : t.workloads()) {
        csv.append(String.join(",", quote(t.label()), quote(w.workload()),
            String.format(Locale.ROOT, "%.1f", w.opsPerSecond()), csvMs(w.p50()), csvMs(w.p90()),
            csvMs(w.p99()), csvMs(w.p999()), csvMs(w.max()), Long.toString(w.requests()),
            Long.toString(w.errors()), quote(w.failure() == null ? "" : w.failure())))
            .append('\n');
      }
    }
    return csv.toString();
  }

  static List<String> workloadNames(List<TargetResult> targets) {
    Set<String> names = new LinkedHashSet<>();
    targets.forEach(t -> t.workloads().forEach(w -> names.add(w.workload())));
    return List.copyOf(names);
  }

  /** Candidate throughput over baseline, e.g. "1.25"; "—" when either did not run. */
  static String ratio(WorkloadResult baseline, WorkloadResult candidate) {
    if (baseline == null || candidate == null || !baseline.ran() || !candidate.ran()
        || baseline.opsPerSecond() == 0) {
      return "—";
    }
    return String.format(Locale.ROOT, "%.2f", candidate.opsPerSecond() / baseline.opsPerSecond());
  }

  private static String cell(WorkloadResult w, java.util.function.Function<WorkloadResult,
      String> format) {
    if (w == null) {
      return "—";
    }
    return w.ran() ? format.apply(w) : "failed";
  }

  static String ops(double opsPerSecond) {
    return String.format(Locale.ROOT, "%,.0f", opsPerSecond);
  }

  static String ms(double millis) {
    return String.format(Locale.ROOT, millis >= 100 ? "%.0f" : millis >= 10 ? "%.1f" : "%.2f",
        millis);
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
  }

  private static String csvMs(double millis) {
    return String.format(Locale.ROOT, "%.3f", millis);
  }

  /** RFC 4180: quote a field that holds a comma, quote or line break; double inner quotes. */
  static String quote(String field) {
    if (field.contains(",") || field.contains("\"") || field.contains("\n")) {
      return '"' + field.replace("\"", "\"\"") + '"';
    }
    return field;
  }

  private static String row(List<String> cells) {
    return "| " + String.join(" | ", cells) + " |\n";
  }

  private static String separator(int columns) {
    StringJoiner sep = new StringJoiner(" | ", "| ", " |\n");
    for (int i = 0; i < columns; i++) {
      sep.add(i == 0 ? "---" : "---:");
    }
    return sep.toString();
  }
}
