package io.kvorum.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The runner's command line. Every option has a default that suits {@code run.sh}; see
 * {@link #USAGE}.
 *
 * @param targets the clusters to measure, in order; the first is the baseline of the ratios
 * @param workloadFilter workloads whose name contains one of these run; empty means all, and
 *     {@code ["none"]} none
 * @param leaderOnly send put/range/txn traffic to the leader only (watchers use all members)
 * @param startTimeout how long a fresh cluster may take to serve (restarts get more per MiB)
 * @param rate when positive, put/range/txn workloads run open loop at this many requests per
 *     second in total; 0 runs them closed loop
 * @param rounds how many times every target is measured, on fresh clusters, the order
 *     alternating (see {@link Rounds})
 * @param aotCache start Kvorum members with an AOT cache from a training run, as its image does
 *     (see {@link AotCache})
 */
record BenchOptions(
    Profile profile,
    List<Target> targets,
    Path etcdctl,
    Optional<Path> out,
    Optional<Path> dataRoot,
    List<String> workloadFilter,
    boolean leaderOnly,
    Duration startTimeout,
    int rate,
    int rounds,
    boolean aotCache) {

  /**
   * The Kvorum members' JVM options when no {@code --kvorum-jvm-opt} is given: the heap a
   * container's memory limit would give. Without a limit the JVM takes a quarter of the machine's
   * RAM and the peak RSS says more about the collector than about Kvorum.
   */
  static final List<String> DEFAULT_KVORUM_JVM_OPTIONS = List.of("-Xmx1g");

  static final String USAGE = """
      usage: BenchRunner [options]
        --quick | --full           seconds per workload (quick) or figures to publish (full, default)
        --only etcd|kvorum         measure one system only
        --compare JAR_A JAR_B      compare two Kvorum builds (A is the baseline of the ratios)
        --kvorum-jar PATH          the Kvorum build (default node-image/server/target/kvorum.jar)
        --etcd PATH                etcd 3.4 binary (default /usr/bin/etcd)
        --etcdctl PATH             etcdctl binary for check perf (default /usr/bin/etcdctl)
        --java PATH                java that runs Kvorum (default: the one running this)
        --kvorum-jvm-opt OPT       JVM option for Kvorum members (repeatable; replaces the default
                                   -Xmx1g)
        --no-aot-cache             start Kvorum members without the AOT cache its image ships
                                   (default: train one per build first, as the image build does)
        --out DIR                  results folder (default results/<timestamp>)
        --data-root DIR            where clusters keep their data (default: a new temp dir)
        --workloads A,B|none       only workloads whose name contains A or B (e.g. put,watch);
                                   none: only check perf and the data-set restart
        --warmup SECONDS           override the profile's warm-up per workload
        --cluster-warmup SECONDS   unrecorded load before a cluster's first workload (quick 5, full 30; 0: none)
        --duration SECONDS         override the profile's measured time per workload
        --dataset-mib N            data written before the timed restart (quick 64, full 1024)
        --check-perf LOADS|none    etcdctl check perf loads, e.g. s,m,l (quick s, full s,m,l)
        --target leader|all        where put/range/txn clients connect (default leader)
        --start-timeout SECONDS    how long a fresh cluster may take to serve (default 120)
        --rate OPS                 run put/range/txn open loop at OPS requests/s in total,
                                   latency from each request's intended start (default: closed loop)
        --rounds N                 measure every target N times, alternating the order; the report
                                   shows medians and each round's ratios (default 1)
      """;

  /** One system under test: a label for the report and how to start its members. */
  record Target(String label, ServerBinary binary) {}

  static BenchOptions parse(String... args) {
    Profile profile = Profile.FULL;
    String only = null;
    List<Path> compare = null;
    Path kvorumJar = Path.of("node-image/server/target/kvorum.jar");
    Path etcd = Path.of("/usr/bin/etcd");
    Path etcdctl = Path.of("/usr/bin/etcdctl");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> jvmOptions = new ArrayList<>();
    Path out = null;
    Path dataRoot = null;
    List<String> filter = List.of();
    Duration warmup = null;
    Duration clusterWarmup = null;
    Duration duration = null;
    Long datasetMiB = null;
    List<String> checkPerf = null;
    boolean leaderOnly = true;
    Duration startTimeout = Duration.ofSeconds(120);
    int rate = 0;
    int rounds = 1;
    boolean aotCache = true;

    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--quick" -> profile = Profile.QUICK;
        case "--full" -> profile = Profile.FULL;
        case "--only" -> {
          only = value(args, ++i, arg);
          if (!only.equals("etcd") && !only.equals("kvorum")) {
            throw new IllegalArgumentException("--only takes etcd or kvorum, not '" + only + "'");
          }
        }
        case "--compare" -> {
          compare = List.of(Path.of(value(args, ++i, arg)), Path.of(value(args, ++i, arg)));
        }
        case "--kvorum-jar" -> kvorumJar = Path.of(value(args, ++i, arg));
        case "--etcd" -> etcd = Path.of(value(args, ++i, arg));
        case "--etcdctl" -> etcdctl = Path.of(value(args, ++i, arg));
        case "--java" -> java = Path.of(value(args, ++i, arg));
        case "--kvorum-jvm-opt" -> jvmOptions.add(value(args, ++i, arg));
        case "--no-aot-cache" -> aotCache = false;
        case "--out" -> out = Path.of(value(args, ++i, arg));
        case "--data-root" -> dataRoot = Path.of(value(args, ++i, arg));
        case "--workloads" -> filter = List.of(value(args, ++i, arg).split(","));
        case "--warmup" -> warmup = Duration.ofSeconds(number(args, ++i, arg, 0));
        case "--cluster-warmup" -> clusterWarmup = Duration.ofSeconds(number(args, ++i, arg, 0));
        case "--duration" -> duration = Duration.ofSeconds(number(args, ++i, arg, 1));
        case "--start-timeout" -> startTimeout = Duration.ofSeconds(number(args, ++i, arg, 1));
        case "--rate" -> rate = number(args, ++i, arg, 1);
        case "--rounds" -> rounds = number(args, ++i, arg, 1);
        case "--dataset-mib" -> datasetMiB = (long) number(args, ++i, arg, 0);
        case "--check-perf" -> {
          String loads = value(args, ++i, arg);
          checkPerf = loads.equals("none") ? List.of() : List.of(loads.split(","));
          for (String load : checkPerf) {
            if (!List.of("s", "m", "l", "xl").contains(load)) {
              throw new IllegalArgumentException("--check-perf takes loads among s,m,l,xl or "
                  + "none, not '" + load + "'");
            }
          }
        }
        case "--target" -> {
          String target = value(args, ++i, arg);
          if (!target.equals("leader") && !target.equals("all")) {
            throw new IllegalArgumentException("--target takes leader or all, not '" + target
                + "'");
          }
          leaderOnly = target.equals("leader");
        }
        default -> throw new IllegalArgumentException("unknown option '" + arg + "'\n" + USAGE);
      }
    }
    if (compare != null && only != null) {
      throw new IllegalArgumentException("--compare measures two Kvorum builds; it cannot be "
          + "combined with --only");
    }

    if (jvmOptions.isEmpty()) {
      jvmOptions.addAll(DEFAULT_KVORUM_JVM_OPTIONS);
    }
    List<Target> targets = new ArrayList<>();
    ServerBinary etcdBinary = new ServerBinary.Etcd(etcd);
    if (compare != null) {
      targets.add(new Target("A", new ServerBinary.Kvorum(java, compare.get(0), jvmOptions)));
      targets.add(new Target("B", new ServerBinary.Kvorum(java, compare.get(1), jvmOptions)));
    } else {
      if (only == null || only.equals("etcd")) {
        targets.add(new Target("etcd", etcdBinary));
      }
      if (only == null || only.equals("kvorum")) {
        targets.add(new Target("Kvorum", new ServerBinary.Kvorum(java, kvorumJar, jvmOptions)));
      }
    }

    Timing timing = new Timing(warmup != null ? warmup : profile.timing().warmup(),
        duration != null ? duration : profile.timing().measure());
    profile = new Profile(profile.name(), timing,
        clusterWarmup != null ? clusterWarmup : profile.clusterWarmup(),
        datasetMiB != null ? datasetMiB : profile.datasetMiB(),
        checkPerf != null ? checkPerf : profile.checkPerfLoads());
    return new BenchOptions(profile, targets, etcdctl, Optional.ofNullable(out),
        Optional.ofNullable(dataRoot), filter, leaderOnly, startTimeout, rate, rounds, aotCache);
  }

  /** The workloads this run measures: the standard ones, filtered, at {@link #rate} if set. */
  List<Workload> workloads() {
    if (workloadFilter.equals(List.of("none"))) {
      return List.of();
    }
    return Workload.standard().stream()
        .filter(w -> workloadFilter.isEmpty()
            || workloadFilter.stream().anyMatch(f -> w.name().contains(f)))
        .map(w -> rate > 0 ? w.atRate(rate) : w)
        .toList();
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length || args[i].startsWith("--")) {
      throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
    }
    return args[i];
  }

  private static int number(String[] args, int i, String option, int min) {
    String value = value(args, i, option);
    try {
      int n = Integer.parseInt(value);
      if (n < min) {
        throw new IllegalArgumentException(option + " must be at least " + min + ", not " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " takes a whole number, not '" + value + "'");
    }
  }

  @Override
  public String toString() {
    return "profile " + profile.name() + ", targets " + Arrays.toString(
        targets.stream().map(Target::label).toArray()) + (rounds > 1 ? ", " + rounds + " rounds" : "");
  }
}
