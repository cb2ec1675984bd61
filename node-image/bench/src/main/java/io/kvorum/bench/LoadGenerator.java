package io.kvorum.bench;

import io.etcd.jetcd.api.KVGrpc;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one put, range or txn workload: {@code clients} clients over {@code connections} channels,
 * closed loop (send the next request when the previous one is answered) or open loop (send on an
 * {@link OpenLoopSchedule}, charge latency from the intended start). Every answered request's
 * latency goes into its client's recorder; the warm-up is discarded.
 */
final class LoadGenerator {

  private static final long ERROR_BACKOFF_MILLIS = 10;

  private LoadGenerator() {}

  static LatencySummary run(Workload workload, List<InetSocketAddress> endpoints, Timing timing)
      throws InterruptedException {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-open-loop-timer");
      t.setDaemon(true);
      return t;
    });
    try (ChannelPool channels = new ChannelPool(endpoints, workload.connections())) {
      List<KVGrpc.KVStub> stubs = new ArrayList<>();
      for (int c = 0; c < workload.clients(); c++) {
        stubs.add(KVGrpc.newStub(channels.forClient(c)));
      }
      Operation operation = KvOperations.prepare(workload,
          c -> KVGrpc.newBlockingStub(channels.forClient(c)), stubs::get);

      LatencyRecorders recorders = new LatencyRecorders(workload.clients());
      long start = System.nanoTime();
      long measureFrom = start + timing.warmup().toNanos();
      long end = measureFrom + timing.measure().toNanos();
      CountDownLatch finished = new CountDownLatch(workload.clients());
      AtomicBoolean firstErrorReported = new AtomicBoolean();
      for (int c = 0; c < workload.clients(); c++) {
        OpenLoopSchedule schedule = workload.openLoop()
            ? OpenLoopSchedule.forClient(start, workload.rate(), workload.clients(), c)
            : null;
        new ClientLoop(c, operation, recorders, schedule, timer, end, finished,
            firstErrorReported, workload.name()).next();
      }
      sleepUntil(measureFrom);
      recorders.discard();
      long discardedAt = System.nanoTime();
      sleepUntil(end);
      LatencySummary summary = recorders.harvest((System.nanoTime() - discardedAt) / 1e9);
      if (!finished.await(KvOperations.DEADLINE_SECONDS + 5, TimeUnit.SECONDS)) {
        System.err.println("  " + workload.name() + ": some requests were still unanswered "
            + "after their deadline; closing the connections");
      }
      return summary;
    } finally {
      timer.shutdownNow();
    }
  }

  static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  /** One client: a chain of calls, each started from the previous one's completion. */
  private static final class ClientLoop implements Operation.Completion {
    private final int client;
    private final Operation operation;
    private final LatencyRecorders recorders;
    private final OpenLoopSchedule schedule;
    private final ScheduledExecutorService timer;
    private final long endNanos;
    private final CountDownLatch finished;
    private final AtomicBoolean firstErrorReported;
    private final String workloadName;
    private long sent;
    private long latencyFrom;

    ClientLoop(int client, Operation operation, LatencyRecorders recorders,
        OpenLoopSchedule schedule, ScheduledExecutorService timer, long endNanos,
        CountDownLatch finished, AtomicBoolean firstErrorReported, String workloadName) {
      this.client = client;
      this.operation = operation;
      this.recorders = recorders;
      this.schedule = schedule;
      this.timer = timer;
      this.endNanos = endNanos;
      this.finished = finished;
      this.firstErrorReported = firstErrorReported;
      this.workloadName = workloadName;
    }

    void next() {
      long now = System.nanoTime();
      long due = schedule == null ? now : schedule.intendedStartNanos(sent);
      if (now >= endNanos || due >= endNanos) {
        finished.countDown();
        return;
      }
      sent++;
      if (due > now) {
        later(() -> send(due), due - now);
      } else {
        send(due);
      }
    }

    private void send(long from) {
      latencyFrom = from;
      operation.send(client, this);
    }

    @Override
    public void succeeded() {
      recorders.recordNanos(client, System.nanoTime() - latencyFrom);
      next();
    }

    @Override
    public void failed(Throwable error) {
      recorders.recordError(client);
      if (firstErrorReported.compareAndSet(false, true)) {
        System.err.println("  " + workloadName + ": first error: " + error);
      }
      later(this::next, TimeUnit.MILLISECONDS.toNanos(ERROR_BACKOFF_MILLIS));
    }

    private void later(Runnable action, long delayNanos) {
      try {
        timer.schedule(action, delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException stopped) {
        finished.countDown();
      }
    }
  }
}
