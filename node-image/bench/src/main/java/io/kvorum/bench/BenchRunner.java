package io.kvorum.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Measures each target cluster in turn with identical settings, then writes the report.
 *
 * <p>Per target: start 3 fresh members (timed), run every workload against them, run {@code
 * etcdctl check perf} for each load; then on 3 other fresh members write the data set and restart
 * them on it (timed). Each member's peak RSS is read in both phases; everything is stopped and
 * deleted. One target's failure is reported and the next target still runs.
 */
public final class BenchRunner {

  /** A pause between workloads, so one's backlog (compaction, slow watchers) ends first. */
  private static final long SETTLE_SECONDS = 1;

  private final BenchOptions options;
  private final Path out;
  private final Path dataRoot;
  /** The cluster running now, which the shutdown hook stops if the runner is killed. */
  private volatile LocalCluster active;

  private BenchRunner(BenchOptions options, Path out, Path dataRoot) {
    this.options = options;
    this.out = out;
    this.dataRoot = dataRoot;
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.print(BenchOptions.USAGE);
      return;
    }
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
      checkInstalled(options);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Instant started = Instant.now();
    Path out = options.out().orElse(Path.of("results", DateTimeFormatter
        .ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started)));
    Files.createDirectories(out);
    Path dataRoot = options.dataRoot().isPresent()
        ? Files.createDirectories(options.dataRoot().get())
        : Files.createTempDirectory("kvorum-bench-");
    BenchRunner runner = new BenchRunner(options, out, dataRoot);
    // Ctrl-C or a timeout must not leave members running or a temp dir behind.
    Thread cleanup = new Thread(() -> runner.cleanUp(options.dataRoot().isEmpty()));
    Runtime.getRuntime().addShutdownHook(cleanup);
    runner.run(started);
    Runtime.getRuntime().removeShutdownHook(cleanup);
    runner.cleanUp(options.dataRoot().isEmpty());
    System.exit(0); // gRPC's and the samplers' daemon threads need not be waited for
  }

  /** Stops the running cluster, if any, and deletes the data root if the runner created it. */
  private void cleanUp(boolean deleteDataRoot) {
    try {
      LocalCluster cluster = active;
      if (cluster != null) {
        cluster.stop();
      }
      if (deleteDataRoot) {
        deleteTree(dataRoot);
      }
    } catch (IOException | InterruptedException e) {
      System.err.println("cleaning up " + dataRoot + " failed: " + e);
    }
  }

  private void run(Instant started) throws IOException, InterruptedException {
    System.out.println("kvorum-bench: " + options + "; results in " + out.toAbsolutePath());
    LatencySummary fsync = FsyncProbe.measure(dataRoot, 2_000, 5_000);
    System.out.printf(Locale.ROOT, "disk: 4 KiB write+fdatasync p50 %.2f ms, p99 %.2f ms%n",
        fsync.percentileMillis(50), fsync.percentileMillis(99));
    RunInfo run = new RunInfo(started, RunInfo.describeMachine(), fsync, options.profile(),
        options.leaderOnly());

    List<BenchOptions.Target> targets = new ArrayList<>();
    for (BenchOptions.Target target : options.targets()) {
      targets.add(options.aotCache()
          ? new BenchOptions.Target(target.label(), AotCache.prepare(target.binary(), target.label(), dataRoot))
          : target);
    }
    List<List<TargetResult>> rounds = new ArrayList<>();
    for (int round = 1; round <= options.rounds(); round++) {
      if (options.rounds() > 1) {
        System.out.println("kvorum-bench: round " + round + " of " + options.rounds());
      }
      List<TargetResult> results = new ArrayList<>();
      for (BenchOptions.Target target : Rounds.order(targets, round)) {
        results.add(measure(target, round));
      }
      rounds.add(results);
    }
    List<TargetResult> results = Rounds.combine(rounds);

    String markdown = Report.markdown(run, results, rounds);
    Files.writeString(out.resolve("report.md"), markdown);
    Files.writeString(out.resolve("results.csv"), Report.csv(results));
    boolean charts = !options.workloads().isEmpty();
    if (charts) {
      Charts.write(results, out);
    }
    System.out.println();
    System.out.println(markdown);
    System.out.println("written: " + out.resolve("report.md") + ", results.csv"
        + (charts ? ", throughput.png, p99.png" : ""));
  }

  /**
   * Measures one target in two phases on two fresh clusters, so the timed restart holds exactly
   * the data set whatever the workloads left behind: (1) the workloads and check perf, (2) the
   * data set written, the members restarted on it. Each phase reports its own peak RSS.
   */
  private TargetResult measure(BenchOptions.Target target, int round)
      throws InterruptedException {
    Measured m = new Measured(target.label());
    // each round's member logs and check perf logs get their own files
    String name = target.label().toLowerCase(Locale.ROOT)
        + (options.rounds() > 1 ? "-round" + round : "");
    try {
      onCluster(name, target.binary(), rss -> m.workloadRssKiB = rss, cluster -> {
        System.out.println(m.label + ": starting 3 members (load average " + m.loadBefore + ")");
        m.freshStart = cluster.start(options.startTimeout());
        m.version = cluster.version();
        System.out.printf(Locale.ROOT, "%s: serving after %.1f s, %s%n", m.label,
            m.freshStart.toMillis() / 1000.0, m.version);
        warmUp(cluster, m.label);
        for (Workload workload : options.workloads()) {
          m.workloads.add(runWorkload(cluster, m.label, workload));
          TimeUnit.SECONDS.sleep(SETTLE_SECONDS);
        }
        for (String load : options.profile().checkPerfLoads()) {
          System.out.println(m.label + ": etcdctl check perf --load=" + load);
          CheckPerfResult check = CheckPerf.run(options.etcdctl(), cluster.endpointList(), load,
              out.resolve(name + "-check-perf-" + load + ".log"), cluster::cpuSeconds);
          System.out.println(m.label + ":   " + check.verdict() + " "
              + check.writesPerSecond().orElse(Double.NaN) + " writes/s, slowest "
              + check.slowestSeconds().orElse(Double.NaN) + " s");
          m.checks.add(check);
        }
      });
      long mib = options.profile().datasetMiB();
      if (mib > 0) {
        onCluster(name + "-data", target.binary(), rss -> m.dataSetRssKiB = rss, cluster -> {
          System.out.println(m.label + ": fresh cluster, writing " + mib + " MiB, restarting");
          cluster.start(options.startTimeout());
          Duration writeTimeout = Duration.ofSeconds(Math.max(120, mib));
          DataSet.write(cluster.leader(options.startTimeout()), mib, writeTimeout);
          cluster.stop();
          m.restartWithData = cluster.start(options.startTimeout().plusSeconds(mib / 4));
          System.out.printf(Locale.ROOT, "%s: serving again after %.1f s%n", m.label,
              m.restartWithData.toMillis() / 1000.0);
        });
      }
    } catch (IOException | RuntimeException e) {
      m.failure = String.valueOf(e.getMessage());
      System.err.println(m.label + ": stopped early: " + e);
    }
    return new TargetResult(m.label, target.binary().describe(), m.version, m.loadBefore,
        m.workloads, m.checks, m.workloadRssKiB, m.dataSetRssKiB, m.freshStart,
        m.restartWithData, options.profile().datasetMiB(), m.failure);
  }

  /** What {@link #measure} has found so far; a failure keeps what was measured before it. */
  private static final class Measured {
    final String label;
    final String loadBefore = RunInfo.loadAverage();
    final List<WorkloadResult> workloads = new ArrayList<>();
    final List<CheckPerfResult> checks = new ArrayList<>();
    String version = "not started";
    Duration freshStart;
    Duration restartWithData;
    long[] workloadRssKiB;
    long[] dataSetRssKiB;
    String failure;

    Measured(String label) {
      this.label = label;
    }
  }

  private interface ClusterPhase {
    void run(LocalCluster cluster) throws IOException, InterruptedException;
  }

  /**
   * Runs {@code phase} on a new cluster under the data root and always stops and deletes it,
   * also when the phase fails (or, through {@link #cleanUp}, when the runner is killed). The
   * peak RSS of each member during the phase (KiB) goes to {@code peakRss}, also when the phase
   * fails.
   */
  private void onCluster(String name, ServerBinary binary, Consumer<long[]> peakRss,
      ClusterPhase phase) throws IOException, InterruptedException {
    Path root = dataRoot.resolve(name);
    LocalCluster cluster = new LocalCluster(name, binary, root, out.resolve("logs"));
    active = cluster;
    try {
      phase.run(cluster);
    } finally {
      peakRss.accept(cluster.peakRssKiB());
      cluster.close();
      active = null;
      deleteTree(root);
    }
  }

  private WorkloadResult runWorkload(LocalCluster cluster, String label, Workload workload)
      throws InterruptedException {
    try {
      InetSocketAddress leader = cluster.leader(options.startTimeout());
      List<InetSocketAddress> traffic = options.leaderOnly() ? List.of(leader)
          : cluster.clientEndpoints();
      LatencySummary summary = workload.kind() == Workload.Kind.WATCH
          ? WatchBench.run(workload, cluster.clientEndpoints(), List.of(leader),
              options.profile().timing())
          : LoadGenerator.run(workload, traffic, options.profile().timing());
      WorkloadResult result = WorkloadResult.of(workload.name(), summary);
      System.out.printf(Locale.ROOT, "%s: %-28s %10s ops/s  p50 %7s ms  p99 %7s ms  errors %d%n",
          label, workload.name(), Report.ops(result.opsPerSecond()), Report.ms(result.p50()),
          Report.ms(result.p99()), result.errors());
      return result;
    } catch (RuntimeException e) {
      System.err.println(label + ": " + workload.name() + " failed: " + e);
      return WorkloadResult.failed(workload.name(), String.valueOf(e.getMessage()));
    }
  }

  /**
   * The profile's cluster warm-up: half of it 1 KiB puts from 16 clients, half linearizable reads,
   * nothing recorded. A failure here is left for the workloads to report.
   */
  private void warmUp(LocalCluster cluster, String label) throws InterruptedException {
    Duration half = options.profile().clusterWarmup().dividedBy(2);
    if (half.isZero()) {
      return;
    }
    System.out.println(label + ": warming up for " + options.profile().clusterWarmup().toSeconds()
        + " s (puts, then linearizable reads; not recorded)");
    List<InetSocketAddress> leader = List.of(cluster.leader(options.startTimeout()));
    Timing timing = new Timing(Duration.ZERO, half);
    for (Workload load : List.of(Workload.put(16, 256, 1024, 100_000, false), Workload.range(true, 16))) {
      try {
        LoadGenerator.run(load, leader, timing);
      } catch (RuntimeException e) {
        System.err.println(label + ": warm-up " + load.name() + " failed: " + e);
      }
    }
  }

  /** Fails before anything starts when a binary the run needs is missing. */
  private static void checkInstalled(BenchOptions options) {
    for (BenchOptions.Target target : options.targets()) {
      switch (target.binary()) {
        case ServerBinary.Etcd etcd -> requireExecutable(etcd.etcd(),
            "install etcd 3.4 (Debian: apt-get install etcd-server) or pass --etcd PATH");
        case ServerBinary.Kvorum kvorum -> {
          if (!Files.isRegularFile(kvorum.jar())) {
            throw new IllegalArgumentException("no Kvorum jar at " + kvorum.jar() + ": build it "
                + "(./mvnw -B -pl node-image/server -am package -DskipTests), pass --kvorum-jar "
                + "PATH, or measure etcd alone with --only etcd");
          }
          requireExecutable(kvorum.java(), "pass --java PATH to a JDK 21+ java");
        }
      }
    }
    if (!options.profile().checkPerfLoads().isEmpty()) {
      requireExecutable(options.etcdctl(), "install etcdctl (Debian: apt-get install "
          + "etcd-client), pass --etcdctl PATH, or skip it with --check-perf none");
    }
  }

  private static void requireExecutable(Path path, String hint) {
    if (!Files.isExecutable(path)) {
      throw new IllegalArgumentException(path + " is not an executable file: " + hint);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
