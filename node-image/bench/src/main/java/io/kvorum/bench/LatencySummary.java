package io.kvorum.bench;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * What one workload measured on one cluster: the merged latency histogram of every worker, the
 * errors, and the length of the measured window (warm-up excluded).
 *
 * <p>Latencies are recorded in microseconds. Throughput counts successful requests only, so a
 * server that fails fast does not look fast: {@code 900 answers + 100 errors in 2 s} is 450 ops/s
 * with 100 errors.
 */
public record LatencySummary(Histogram histogram, long errors, double seconds) {

  public LatencySummary {
    if (seconds <= 0) {
      throw new IllegalArgumentException("measured window must be positive, was " + seconds + " s");
    }
  }

  /**
   * Merges the interval histograms of all workers into one; the workers' histograms are left as
   * they are. Merging is exact (HdrHistogram adds bucket counts), so percentiles of the merge are
   * the percentiles of all requests, not an average of per-worker percentiles.
   */
  public static LatencySummary merge(List<Histogram> perWorker, long errors, double seconds) {
    Histogram merged = new Histogram(LatencyRecorders.SIGNIFICANT_DIGITS);
    merged.setAutoResize(true);
    for (Histogram h : perWorker) {
      merged.add(h);
    }
    return new LatencySummary(merged, errors, seconds);
  }

  public long count() {
    return histogram.getTotalCount();
  }

  public double opsPerSecond() {
    return count() / seconds;
  }

  /** The latency at {@code percentile} (0..100) in milliseconds; 0 when nothing was measured. */
  public double percentileMillis(double percentile) {
    return count() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  public double maxMillis() {
    return count() == 0 ? 0 : histogram.getMaxValue() / 1000.0;
  }
}
