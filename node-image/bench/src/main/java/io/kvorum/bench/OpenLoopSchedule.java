package io.kvorum.bench;

/**
 * When each request of one open-loop client is meant to start.
 *
 * <p>A total rate R spread over N clients gives every client a period of N/R seconds; client c is
 * shifted by c/N of a period so the clients' requests interleave evenly instead of arriving in
 * bursts of N. Request i of client c is due at
 *
 * <pre>  start + (i + c/N) * N/R seconds</pre>
 *
 * Example: R = 1,000/s, N = 4 clients: each client's period is 4 ms; client 0 is due at 0, 4, 8 ms,
 * client 1 at 1, 5, 9 ms, client 2 at 2, 6, 10 ms; together one request every millisecond.
 *
 * <p>Latency is measured from this intended start, not from when the request was actually sent:
 * a server that stalls for a second delays every request due in that second, and each of them is
 * charged the wait (no coordinated omission). The due time is computed from i, never by adding
 * periods, so rounding does not drift over millions of requests.
 */
public record OpenLoopSchedule(long startNanos, double periodNanos, double phase) {

  public OpenLoopSchedule {
    if (!(periodNanos > 0)) {
      throw new IllegalArgumentException("period must be positive, was " + periodNanos + " ns");
    }
  }

  /** The schedule of client {@code client} of {@code clients} sharing {@code ratePerSecond}. */
  public static OpenLoopSchedule forClient(
      long startNanos, double ratePerSecond, int clients, int client) {
    if (!(ratePerSecond > 0)) {
      throw new IllegalArgumentException("rate must be positive, was " + ratePerSecond + "/s");
    }
    if (client < 0 || client >= clients) {
      throw new IllegalArgumentException("client " + client + " is not in [0, " + clients + ")");
    }
    double period = 1e9 * clients / ratePerSecond;
    return new OpenLoopSchedule(startNanos, period, (double) client / clients);
  }

  /** The intended start of request {@code i} (0-based) of this client. */
  public long intendedStartNanos(long i) {
    return startNanos + Math.round((i + phase) * periodNanos);
  }
}
