package io.kvorum.bench;

import java.time.Duration;
import java.util.List;

/**
 * Everything measured on one cluster.
 *
 * @param binary what ran, e.g. "/usr/bin/etcd" or "java ... -jar kvorum.jar"
 * @param version what the cluster's /version answered
 * @param loadBefore the machine's load averages just before this cluster started
 * @param workloadRssKiB the peak resident memory of each member during the workloads; null if
 *     the cluster never started
 * @param dataSetRssKiB the same while the data set was written and the members restarted on it;
 *     null if that phase did not run
 * @param freshStart from starting the processes on empty data dirs to serving
 * @param restartWithData from restarting the processes holding {@code datasetMiB} to serving
 * @param failure why the run of this cluster stopped early; null when it completed
 */
record TargetResult(String label, String binary, String version, String loadBefore,
    List<WorkloadResult> workloads,
    List<CheckPerfResult> checks, long[] workloadRssKiB, long[] dataSetRssKiB,
    Duration freshStart,
    Duration restartWithData, long datasetMiB, String failure) {

  WorkloadResult workload(String name) {
    return workloads.stream().filter(w -> w.workload().equals(name)).findFirst().orElse(null);
  }

  CheckPerfResult check(String load) {
    return checks.stream().filter(c -> c.load().equals(load)).findFirst().orElse(null);
  }
}
