package io.kvorum.server.etcd;

import io.kvorum.storage.LatencyHistogram;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * The member's metrics under etcd's names, so etcd dashboards and alerts (and the seed's {@code
 * curl /metrics | grep etcd_server_is_leader}) work unchanged.
 */
final class ServerMetrics {
  final PrometheusRegistry registry = new PrometheusRegistry();

  final Gauge isLeader = gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.");
  final Gauge hasLeader = gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.");
  final Counter leaderChanges = counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen.");
  final Counter proposalsCommitted = counter("etcd_server_proposals_committed_total", "The total number of consensus proposals committed.");
  final Counter proposalsApplied = counter("etcd_server_proposals_applied_total", "The total number of consensus proposals applied.");
  final Gauge proposalsPending = gauge("etcd_server_proposals_pending", "The current number of pending proposals to commit.");
  final Counter proposalsFailed = counter("etcd_server_proposals_failed_total", "The total number of failed proposals seen.");
  final Gauge serverVersion =
      Gauge.builder().name("etcd_server_version").help("Which version is running. 1 for 'server_version' label with current version.").labelNames("server_version").register(registry);
  final Gauge clusterVersion =
      Gauge.builder().name("etcd_cluster_version").help("Which version is running. 1 for 'cluster_version' label with current cluster version").labelNames("cluster_version").register(registry);

  private String shownClusterVersion;

  ServerMetrics(String server) {
    serverVersion.labelValues(server).set(1);
  }

  synchronized void setClusterVersion(String majorMinor) {
    if (shownClusterVersion != null) {
      clusterVersion.remove(shownClusterVersion);
    }
    shownClusterVersion = majorMinor;
    clusterVersion.labelValues(majorMinor).set(1);
  }

  void storeGauges(DoubleSupplier dbSize, DoubleSupplier dbInUse) {
    GaugeWithCallback.builder().name("etcd_mvcc_db_total_size_in_bytes").help("Total size of the underlying database physically allocated in bytes.").callback(cb -> cb.call(dbSize.getAsDouble())).register(registry);
    GaugeWithCallback.builder().name("etcd_mvcc_db_total_size_in_use_in_bytes").help("Total size of the underlying database logically in use in bytes.").callback(cb -> cb.call(dbInUse.getAsDouble())).register(registry);
  }

  /** Exports a storage latency histogram (fsync, backend commit) under {@code name}. */
  void histogram(String name, String help, Supplier<LatencyHistogram> source) {
    registry.register(
        () -> {
          LatencyHistogram h = source.get();
          double[] bounds = h.upperBounds();
          long[] cumulative = h.cumulativeCounts();
          double[] withInf = new double[bounds.length + 1];
          long[] perBucket = new long[bounds.length + 1];
          long previous = 0;
          for (int i = 0; i < bounds.length; i++) {
            withInf[i] = bounds[i];
            perBucket[i] = cumulative[i] - previous;
            previous = cumulative[i];
          }
          withInf[bounds.length] = Double.POSITIVE_INFINITY;
          perBucket[bounds.length] = Math.max(0, h.count() - previous);
          return new HistogramSnapshot(
              new MetricMetadata(name, help),
              List.of(
                  HistogramSnapshot.HistogramDataPointSnapshot.builder()
                      .classicHistogramBuckets(ClassicHistogramBuckets.of(withInf, perBucket))
                      .sum(h.sumSeconds())
                      .build()));
        });
  }

  private Gauge gauge(String name, String help) {
    return Gauge.builder().name(name).help(help).register(registry);
  }

  private Counter counter(String name, String help) {
    return Counter.builder().name(name).help(help).register(registry);
  }
}
