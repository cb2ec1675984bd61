package io.kvorum.bench;

import java.time.Duration;
import java.util.List;

/**
 * How long and how big a run is. {@code quick} takes about two minutes per cluster and checks
 * that everything works; {@code full} gives figures worth publishing.
 *
 * @param datasetMiB data written before the restart whose time to healthy is measured
 * @param checkPerfLoads the {@code etcdctl check perf --load} values run against each cluster
 */
record Profile(String name, Timing timing, long datasetMiB, List<String> checkPerfLoads) {

  static final Profile QUICK = new Profile("quick",
      new Timing(Duration.ofSeconds(1), Duration.ofSeconds(3)), 64, List.of("s"));
  static final Profile FULL = new Profile("full",
      new Timing(Duration.ofSeconds(5), Duration.ofSeconds(20)), 1024, List.of("s", "m", "l"));
}
