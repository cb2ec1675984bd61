package io.kvorum.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One HdrHistogram {@link Recorder} and one error counter per worker, so workers never contend on
 * a shared histogram. The runner {@link #discard() discards} what the warm-up recorded and later
 * {@link #harvest(double) harvests} the measured interval into one {@link LatencySummary}.
 *
 * <p>A request that completes between the end of the window and the harvest lands in the next
 * interval, which nobody reads: the window's edges lose at most one request per worker.
 */
public final class LatencyRecorders {

  static final int SIGNIFICANT_DIGITS = 3;

  private final List<Recorder> recorders = new ArrayList<>();
  private final List<AtomicLong> errors = new ArrayList<>();

  public LatencyRecorders(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("need at least one worker, got " + workers);
    }
    for (int i = 0; i < workers; i++) {
      recorders.add(new Recorder(SIGNIFICANT_DIGITS));
      errors.add(new AtomicLong());
    }
  }

  public int workers() {
    return recorders.size();
  }

  /** Records one answered request of {@code worker} that took {@code nanos}. */
  public void recordNanos(int worker, long nanos) {
    recorders.get(worker).recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(nanos)));
  }

  public void recordError(int worker) {
    errors.get(worker).incrementAndGet();
  }

  /** Forgets everything recorded so far (the warm-up). */
  public void discard() {
    for (int i = 0; i < recorders.size(); i++) {
      recorders.get(i).reset();
      errors.get(i).set(0);
    }
  }

  /** Takes what was recorded since the last discard or harvest, measured over {@code seconds}. */
  public LatencySummary harvest(double seconds) {
    List<Histogram> intervals = new ArrayList<>(recorders.size());
    long errorCount = 0;
    for (int i = 0; i < recorders.size(); i++) {
      intervals.add(recorders.get(i).getIntervalHistogram());
      errorCount += errors.get(i).getAndSet(0);
    }
    return LatencySummary.merge(intervals, errorCount, seconds);
  }
}
