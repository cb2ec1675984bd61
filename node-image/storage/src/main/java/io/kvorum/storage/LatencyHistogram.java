package io.kvorum.storage;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A cumulative latency histogram with Prometheus' semantics: bucket {@code i} counts the
 * observations {@code <= upperBounds()[i]} seconds, plus a sum and a count. The server exports it
 * as, for example, {@code etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"}}.
 *
 * <p>The bounds are etcd's for its disk histograms: 0.001 * 2^k seconds, k = 0..13 (1 ms .. 8.192
 * s). Thread-safe; recording is lock-free.
 */
public final class LatencyHistogram {
  private static final double[] BOUNDS = new double[14];

  static {
    for (int i = 0; i < BOUNDS.length; i++) {
      BOUNDS[i] = 0.001 * (1L << i);
    }
  }

  private final AtomicLongArray buckets = new AtomicLongArray(BOUNDS.length);
  private final LongAdder count = new LongAdder();
  private final DoubleAdder sumSeconds = new DoubleAdder();

  public void recordNanos(long nanos) {
    double seconds = nanos / 1e9;
    for (int i = 0; i < BOUNDS.length; i++) {
      if (seconds <= BOUNDS[i]) {
        buckets.incrementAndGet(i);
      }
    }
    count.increment();
    sumSeconds.add(seconds);
  }

  /** Upper bounds in seconds; the implicit {@code +Inf} bucket equals {@link #count()}. */
  public double[] upperBounds() {
    return BOUNDS.clone();
  }

  /** Cumulative counts, one per {@link #upperBounds()} entry. */
  public long[] cumulativeCounts() {
    long[] out = new long[BOUNDS.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = buckets.get(i);
    }
    return out;
  }

  public long count() {
    return count.sum();
  }

  public double sumSeconds() {
    return sumSeconds.sum();
  }
}
