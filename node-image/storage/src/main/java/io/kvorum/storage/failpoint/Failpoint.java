package io.kvorum.storage.failpoint;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One enabled failpoint: its name, its action and how many more hits may fire it. With
 * {@code 2*sleep(50ms)} the first two hits sleep and every later hit does nothing.
 */
final class Failpoint {
  /** The exit status of a {@code panic}: Go's, as a gofail panic in etcd would exit. */
  static final int PANIC_EXIT_STATUS = 2;

  private final String name;
  private final Action action;
  /** Hits left that fire; negative means unlimited. */
  private final AtomicLong remaining;

  Failpoint(String name, Action action, long times) {
    this.name = name;
    this.action = action;
    this.remaining = new AtomicLong(times);
  }

  String name() {
    return name;
  }

  Action action() {
    return action;
  }

  void fire(Halter halter) {
    if (!claimHit()) {
      return;
    }
    switch (action) {
      case Action.Sleep s -> sleep(s.millis());
      case Action.Error e -> throw new FailpointException(name);
      case Action.Panic p -> {
        System.err.println("failpoint " + name + ": panic, halting the process (set by "
            + Failpoints.ENV + ")");
        System.err.flush();
        halter.halt(PANIC_EXIT_STATUS);
      }
    }
  }

  private boolean claimHit() {
    if (remaining.get() < 0) {
      return true;
    }
    return remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      // the caller is being shut down; let it see the interrupt rather than sleep on
      Thread.currentThread().interrupt();
    }
  }
}
