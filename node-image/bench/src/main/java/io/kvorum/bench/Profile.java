package io.kvorum.bench;

import java.time.Duration;
import java.util.List;

/**
 * How long and how big a run is. {@code quick} takes about two minutes per cluster and checks
 * that everything works; {@code full} gives figures worth publishing.
 *
 * @param clusterWarmup unrecorded load (puts, then linearizable reads) on a fresh cluster before
 *     its first workload, the same for every system: a JVM member compiles its hot paths in the
 *     first seconds of load, and the first workload would otherwise measure that
 * @param datasetMiB data written before the restart whose time to healthy is measured
 * @param checkPerfLoads the {@code etcdctl check perf --load} values run against each cluster
 */
record Profile(String name, Timing timing, Duration clusterWarmup, long datasetMiB, List<String> checkPerfLoads) {

  static final Profile QUICK = new Profile("quick",
      new Timing(Duration.ofSeconds(1), Duration.ofSeconds(3)), Duration.ofSeconds(5), 64, List.of("s"));
  static final Profile FULL = new Profile("full",
      new Timing(Duration.ofSeconds(5), Duration.ofSeconds(20)), Duration.ofSeconds(30), 1024,
      List.of("s", "m", "l"));
}
