package io.kvorum.server.etcd;

import io.grpc.Status;
import io.kvorum.server.api.EtcdException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * How long a member stays out of service after {@code Serving/Drain}: read by every {@code
 * /readyz}, set by the drain calls.
 *
 * <p>A drain ends by itself. The operator drains a member just before it removes it; if the
 * operator dies in between or the scale-down is undone, the member must not stay unready for
 * ever, and nothing else would end the drain. So a drain is a lease: the operator drains again
 * while the pod is still in service, and an abandoned drain expires. Example: {@code set(60 s)} at t=0, {@code
 * secondsLeft()} at t=59.2 s is 1 (a partial second counts), at t=60 s it is 0.
 */
final class DrainWindow {
  /** Long enough for readiness probes, endpoints and kube-proxy to follow, short enough to expire. */
  static final Duration MAX = Duration.ofMinutes(10);

  private final LongSupplier nanoTime;
  /** Not drained at or after this time; starts at "now", as the clock's origin is arbitrary. */
  private volatile long untilNanos;

  DrainWindow(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.untilNanos = nanoTime.getAsLong();
  }

  /** Out of service for {@code duration} from now; zero ends a drain. */
  void set(Duration duration) {
    if (duration.isNegative() || duration.compareTo(MAX) > 0) {
      throw new EtcdException(Status.Code.INVALID_ARGUMENT,
          "kvorum: a drain lasts from 0 s (ends it) to " + MAX.toSeconds() + " s, not " + duration.toSeconds()
              + " s; drain again to extend it");
    }
    untilNanos = nanoTime.getAsLong() + duration.toNanos();
  }

  /** Whole seconds, rounded up, until the drain ends; 0 when not drained. */
  long secondsLeft() {
    long left = untilNanos - nanoTime.getAsLong();
    return left <= 0 ? 0 : (left + 999_999_999L) / 1_000_000_000L;
  }
}
