package io.kvorum.server.etcd;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * Fails the futures of client requests that are not answered by their deadline, swept by one
 * periodic task instead of a timer per request.
 *
 * <p>Why not {@code CompletableFuture.orTimeout}: every call schedules a task on the JDK's delay
 * scheduler thread and every answer cancels it, and each of the two wakes that thread. A put
 * answered in a millisecond thus cost two extra thread wake-ups, on a machine where wake-ups
 * are what a single client waits for. Here a request costs one insertion into and one removal
 * from a concurrent set; the price is that a request fails up to one sweep period after its
 * deadline, which is nothing against the seconds of a request timeout.
 *
 * <p>Pure: the caller supplies the time, in {@link System#nanoTime()} units.
 */
final class Deadlines {
  private record Pending(CompletableFuture<?> future, long deadlineNanos) {}

  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();

  /** Fails {@code future} with a {@link TimeoutException} if it is still pending at {@code deadlineNanos}. */
  <T> CompletableFuture<T> failAfter(CompletableFuture<T> future, long deadlineNanos) {
    Pending p = new Pending(future, deadlineNanos);
    pending.add(p);
    future.whenComplete((r, t) -> pending.remove(p));
    return future;
  }

  /** Fails every future whose deadline is at or before {@code nowNanos}. */
  void expire(long nowNanos) {
    for (Pending p : pending) {
      if (nowNanos - p.deadlineNanos() >= 0) {
        p.future().completeExceptionally(new TimeoutException("not answered within the request timeout"));
      }
    }
  }

  /** The futures still waiting for an answer or their deadline. */
  int pending() {
    return pending.size();
  }
}
