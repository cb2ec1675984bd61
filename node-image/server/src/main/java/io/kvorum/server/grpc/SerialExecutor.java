package io.kvorum.server.grpc;

import io.kvorum.server.log.Log;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a stream's tasks one at a time, in the order they were submitted, on the threads that
 * submit them: the transport's thread for what the client sends, the member's threads for what
 * it answers. grpc-java lets any thread write to a stream but never two at once; this keeps that
 * without a hop to another thread. A submitter that finds another thread running tasks leaves
 * its task to that thread and returns at once.
 */
final class SerialExecutor implements Executor {
  private static final Log LOG = Log.get(SerialExecutor.class);

  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean();

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    // After letting go, look again: a task added in between found the flag still set.
    while (!tasks.isEmpty() && running.compareAndSet(false, true)) {
      try {
        for (Runnable next = tasks.poll(); next != null; next = tasks.poll()) {
          runOne(next);
        }
      } finally {
        running.set(false);
      }
    }
  }

  private static void runOne(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      // A write to a stream the client already closed; the stream's other tasks still run.
      LOG.debug("stream task failed", "error", e.toString());
    }
  }
}
