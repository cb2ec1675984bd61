package io.kvorum.bench;

import java.time.Duration;

/** How long a workload warms up (not recorded) and then is measured. */
public record Timing(Duration warmup, Duration measure) {

  public Timing {
    if (warmup.isNegative() || measure.isNegative() || measure.isZero()) {
      throw new IllegalArgumentException("warm-up must be >= 0 and measurement > 0, got "
          + warmup + " and " + measure);
    }
  }
}
