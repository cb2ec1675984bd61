package io.kvorum.bench;

/**
 * One workload's figures on one cluster, in the units the report prints (latencies in ms).
 *
 * @param failure why the workload could not run at all; null when it ran
 */
record WorkloadResult(String workload, double opsPerSecond, double p50, double p90, double p99,
    double p999, double max, long requests, long errors, String failure) {

  static WorkloadResult of(String workload, LatencySummary s) {
    return new WorkloadResult(workload, s.opsPerSecond(), s.percentileMillis(50),
        s.percentileMillis(90), s.percentileMillis(99), s.percentileMillis(99.9), s.maxMillis(),
        s.count(), s.errors(), null);
  }

  static WorkloadResult failed(String workload, String failure) {
    return new WorkloadResult(workload, 0, 0, 0, 0, 0, 0, 0, 0, failure);
  }

  boolean ran() {
    return failure == null;
  }
}
