package io.kvorum.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * Sequential {@code etcdctl put}s of unique keys ({@code <prefix>000000}, {@code 000001}, ...)
 * through one endpoint, on a thread of its own, until {@link #stopAndJoin()}. A key counts as
 * acknowledged only once etcdctl exited 0 for it, so "every acknowledged key is still there
 * afterwards" is exactly the promise a client relies on. A failed put is counted and not
 * retried: its key may or may not exist afterwards, and neither is a violation.
 *
 * <p>Sequential processes keep it simple and ordered (~10 puts/s on this machine), which is a
 * client's view of availability, not a benchmark.
 */
final class WriteLoad implements Runnable {
  /** One put of a key and value; true once the store acknowledged it. */
  private final BiPredicate<String, String> put;
  private final String prefix;
  private final List<String> acknowledged = new ArrayList<>();
  private volatile boolean stopped;
  private int failures;
  private Thread thread;

  private WriteLoad(String prefix, BiPredicate<String, String> put) {
    this.prefix = prefix;
    this.put = put;
  }

  /** Starts writing under {@code prefix} through {@code endpoint} (host:port), in plaintext. */
  static WriteLoad start(LocalKube kube, String endpoint, String prefix) {
    return start(prefix, (key, value) -> kube.etcdctl(endpoint, "put", key, value).ok());
  }

  /** Starts writing under {@code prefix} with {@code put} (an etcdctl with TLS flags, say). */
  static WriteLoad start(String prefix, BiPredicate<String, String> put) {
    WriteLoad load = new WriteLoad(prefix, put);
    load.thread = Thread.ofPlatform().name("write-load " + prefix).start(load);
    return load;
  }

  @Override
  public void run() {
    for (int i = 0; !stopped && i < 100_000; i++) {
      String key = prefix + String.format("%06d", i);
      boolean ok = put.test(key, "v" + i);
      synchronized (this) {
        if (ok) {
          acknowledged.add(key);
        } else {
          failures++;
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

  synchronized int failures() {
    return failures;
  }

  String prefix() {
    return prefix;
  }
}
