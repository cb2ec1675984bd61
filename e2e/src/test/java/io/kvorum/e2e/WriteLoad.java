package io.kvorum.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * Sequential {@code etcdctl put}s of unique keys ({@code <prefix>000000}, {@code 000001}, ...)
 * through one endpoint, on a thread of its own, until {@link #stopAndJoin()}. A key counts as
 * acknowledged only once etcdctl exited 0 for it, so "every acknowledged key is still there
 * afterwards" is exactly the promise a client relies on. A failed put is counted and not
 * retried: its key may or may not exist afterwards, and neither is a violation. Failures are
 * counted by etcdctl's error line, so a run's output says why requests failed, not only how many.
 *
 * <p>Sequential processes keep it simple and ordered (~10 puts/s on this machine), which is a
 * client's view of availability, not a benchmark.
 */
final class WriteLoad implements Runnable {
  /** One put of a key and value; etcdctl's exit code says whether the store acknowledged it. */
  private final BiFunction<String, String, Cli.Result> put;
  private final String prefix;
  private final List<String> acknowledged = new ArrayList<>();
  private volatile boolean stopped;
  private final Map<String, Integer> failureReasons = new TreeMap<>();
  private Thread thread;

  private WriteLoad(String prefix, BiFunction<String, String, Cli.Result> put) {
    this.prefix = prefix;
    this.put = put;
  }

  /** Starts writing under {@code prefix} through {@code endpoint} (host:port), in plaintext. */
  static WriteLoad start(LocalKube kube, String endpoint, String prefix) {
    return start(prefix, (key, value) -> kube.etcdctl(endpoint, "put", key, value));
  }

  /** Starts writing under {@code prefix} with {@code put} (an etcdctl with TLS flags, say). */
  static WriteLoad start(String prefix, BiFunction<String, String, Cli.Result> put) {
    WriteLoad load = new WriteLoad(prefix, put);
    load.thread = Thread.ofPlatform().name("write-load " + prefix).start(load);
    return load;
  }

  @Override
  public void run() {
    for (int i = 0; !stopped && i < 100_000; i++) {
      String key = prefix + String.format("%06d", i);
      Cli.Result result = put.apply(key, "v" + i);
      synchronized (this) {
        if (result.ok()) {
          acknowledged.add(key);
        } else {
          failureReasons.merge(reason(result), 1, Integer::sum);
        }
      }
    }
  }

  /** Stops after the put in flight (at most etcdctl's 15 s limit). */
  void stopAndJoin() throws InterruptedException {
    stopped = true;
    thread.join(Duration.ofSeconds(30));
  }

  synchronized List<String> acknowledged() {
    return List.copyOf(acknowledged);
  }

  /**
   * What a client saw, e.g. {@code 950 acknowledged, 3 failed requests (2x Error: context deadline
   * exceeded; 1x Error: ...)}.
   */
  synchronized String report() {
    StringBuilder out = new StringBuilder();
    int failures = failureReasons.values().stream().mapToInt(Integer::intValue).sum();
    out.append(acknowledged.size()).append(" acknowledged, ").append(failures).append(" failed requests");
    if (!failureReasons.isEmpty()) {
      StringBuilder reasons = new StringBuilder();
      failureReasons.forEach((reason, count) -> reasons.append(reasons.isEmpty() ? "" : "; ").append(count).append("x ").append(reason));
      out.append(" (").append(reasons).append(')');
    }
    return out.toString();
  }

  /** etcdctl's last error line, with addresses masked so that equal causes count together. */
  static String reason(Cli.Result result) {
    String last = result.err().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("exit code " + result.exitCode());
    String masked = last.strip().replaceAll("\\d{1,3}(\\.\\d{1,3}){3}(:\\d+)?", "<address>");
    return masked.length() > 200 ? masked.substring(0, 200) + "..." : masked;
  }

  String prefix() {
    return prefix;
  }
}
