package io.kvorum.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
  private final LocalKube kube;
  private final String endpoint;
  private final String prefix;
  private final List<String> acknowledged = new ArrayList<>();
  private volatile boolean stopped;
  private int failures;
  private Thread thread;

  private WriteLoad(LocalKube kube, String endpoint, String prefix) {
    this.kube = kube;
    this.endpoint = endpoint;
    this.prefix = prefix;
  }

  /** Starts writing under {@code prefix} through {@code endpoint} (host:port). */
  static WriteLoad start(LocalKube kube, String endpoint, String prefix) {
    WriteLoad load = new WriteLoad(kube, endpoint, prefix);
    load.thread = Thread.ofPlatform().name("write-load " + prefix).start(load);
    return load;
  }

  @Override
  public void run() {
    for (int i = 0; !stopped && i < 100_000; i++) {
      String key = prefix + String.format("%06d", i);
      boolean ok = kube.etcdctl(endpoint, "put", key, "v" + i).ok();
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
