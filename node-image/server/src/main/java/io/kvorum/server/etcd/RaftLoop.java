package io.kvorum.server.etcd;

import io.kvorum.server.log.Log;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that owns the Raft node: runs submitted tasks (received messages, proposals,
 * read requests), ticks at the heartbeat interval, and after each round lets the member process
 * what Raft has ready. Nothing else touches the {@code RawNode}, so it needs no locks.
 */
final class RaftLoop {
  private static final Log LOG = Log.get(RaftLoop.class);

  /** What the member does on the loop thread. */
  interface Body {
    void tick();

    /** Handles every Ready Raft has (persist, send, apply, advance) and periodic work. */
    void afterRound();

    /** A task or the body threw: the member cannot go on safely. */
    void fatal(Throwable t);
  }

  private final BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();
  private final long tickNanos;
  private final Body body;
  private final Thread thread;
  private volatile boolean running = true;

  RaftLoop(Duration tick, Body body) {
    this.tickNanos = tick.toNanos();
    this.body = body;
    this.thread = Thread.ofPlatform().name("raft").unstarted(this::run);
  }

  void start() {
    thread.start();
  }

  boolean onLoopThread() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on the loop thread, later. */
  void submit(Runnable task) {
    inbox.add(task);
  }

  /** Runs {@code task} on the loop thread and completes with its result. */
  <T> CompletableFuture<T> call(Callable<T> task) {
    CompletableFuture<T> f = new CompletableFuture<>();
    submit(
        () -> {
          try {
            f.complete(task.call());
          } catch (Throwable t) {
            f.completeExceptionally(t);
          }
        });
    return f;
  }

  private void run() {
    long nextTick = System.nanoTime() + tickNanos;
    try {
      while (running) {
        long wait = nextTick - System.nanoTime();
        Runnable task = wait > 0 ? inbox.poll(wait, TimeUnit.NANOSECONDS) : inbox.poll();
        for (int n = 0; task != null && n < 4096; n++) {
          task.run();
          task = inbox.poll();
        }
        if (task != null) {
          task.run();
        }
        long now = System.nanoTime();
        if (now - nextTick >= 0) {
          body.tick();
          nextTick += tickNanos;
          if (now - nextTick > tickNanos) {
            // The loop was held up (a long fsync or apply): do not replay the missed ticks at once.
            nextTick = now + tickNanos;
          }
        }
        body.afterRound();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      LOG.error("raft loop failed", "error", t.toString());
      body.fatal(t);
    }
  }

  /**
   * Stops after the current round; waits up to {@code timeout} for the thread to end. The thread
   * is not interrupted: an interrupt during a WAL write would close the file channel under it.
   * It notices within one tick, as it never waits longer than that.
   */
  void stop(Duration timeout) {
    running = false;
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
