package io.kvorum.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watch delivery latency: W watch streams on one prefix, spread over all members; a few putters
 * write under the prefix at a fixed rate (open loop) through the leader.
 *
 * <p>Each put's value starts with its sequence number and the time it was sent (this JVM's
 * {@link System#nanoTime()}, shared by putters and watchers), so a watcher knows which put an
 * event belongs to and when it began. The latency of an event is from the put's send to the
 * event's arrival: the time a change takes to reach a watcher, commit included, as etcd's own
 * watch-latency benchmark measures it. (Measuring from the put's answer is not well defined: an
 * event often arrives before the answer, and a put that times out may still commit.) Only puts
 * sent inside the measured window count; W events are expected for each answered one, and those
 * that never arrive are errors. Throughput is events delivered per second, over the window
 * stretched to the last event's arrival when delivery lags behind.
 */
final class WatchBench {

  private static final String PREFIX = "watch-bench/";
  /** HTTP/2 servers commonly allow 100 concurrent streams per connection; stay below. */
  private static final int WATCHERS_PER_CONNECTION = 64;
  private static final long CREATE_TIMEOUT_SECONDS = 30;
  private static final long DRAIN_TIMEOUT_SECONDS = 10;
  private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private WatchBench() {}

  static LatencySummary run(Workload workload, List<InetSocketAddress> watchEndpoints,
      List<InetSocketAddress> putEndpoints, Timing timing) throws InterruptedException {
    int watchers = workload.watchers();
    LatencyRecorders recorders = new LatencyRecorders(watchers);
    int connections = (watchers + WATCHERS_PER_CONNECTION - 1) / WATCHERS_PER_CONNECTION;
    try (ChannelPool watchChannels = new ChannelPool(watchEndpoints, connections);
        ChannelPool putChannels = new ChannelPool(putEndpoints, workload.connections())) {
      Window window = new Window();
      CountDownLatch created = new CountDownLatch(watchers);
      List<Watcher> all = new ArrayList<>();
      for (int w = 0; w < watchers; w++) {
        Watcher watcher = new Watcher(w, recorders, window, created);
        watcher.open(WatchGrpc.newStub(watchChannels.forClient(w)));
        all.add(watcher);
      }
      if (!created.await(CREATE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        all.forEach(Watcher::close);
        throw new IllegalStateException(created.getCount() + " of " + watchers + " watchers were"
            + " not created within " + CREATE_TIMEOUT_SECONDS + " s; the server may limit"
            + " concurrent streams");
      }

      long start = System.nanoTime();
      window.from = start + timing.warmup().toNanos();
      window.to = window.from + timing.measure().toNanos();
      Putters putters = new Putters(workload, putChannels, window, start);
      putters.runUntil(window.to);
      long expected = putters.answeredInWindow.get() * watchers;
      awaitDelivery(window, expected);
      all.forEach(Watcher::close);
      long missing = Math.max(0, expected - window.received.get());
      // Delivery may lag the puts: the rate is events over the time until the last one arrived.
      long deliveredUntil = Math.max(window.to, window.lastArrival.get());
      LatencySummary events = recorders.harvest((deliveredUntil - window.from) / 1e9);
      return new LatencySummary(events.histogram(),
          events.errors() + missing + putters.errors.get(), events.seconds());
    }
  }

  /**
   * Waits until every expected event arrived and then no other for a while: a put that timed
   * out may still have committed, and its events are counted too. Bounded by the drain timeout.
   */
  private static void awaitDelivery(Window window, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_TIMEOUT_SECONDS);
    while (System.nanoTime() < deadline) {
      long quietNanos = System.nanoTime() - Math.max(window.to, window.lastArrival.get());
      if (window.received.get() >= expected && quietNanos > QUIET_NANOS) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** The measured window, by put send time, and how many events of it arrived. */
  private static final class Window {
    volatile long from = Long.MAX_VALUE;
    volatile long to = Long.MAX_VALUE;
    final AtomicLong received = new AtomicLong();
    final AtomicLong lastArrival = new AtomicLong();

    boolean contains(long sentAt) {
      return sentAt >= from && sentAt < to;
    }
  }

  private static final class Watcher implements StreamObserver<WatchResponse> {
    private final int index;
    private final LatencyRecorders recorders;
    private final Window window;
    private final CountDownLatch created;
    private StreamObserver<WatchRequest> requests;

    Watcher(int index, LatencyRecorders recorders, Window window, CountDownLatch created) {
      this.index = index;
      this.recorders = recorders;
      this.window = window;
      this.created = created;
    }

    void open(WatchGrpc.WatchStub stub) {
      requests = stub.watch(this);
      ByteString prefix = ByteString.copyFromUtf8(PREFIX);
      requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
          .setKey(prefix).setRangeEnd(prefixEnd(prefix))).build());
    }

    @Override
    public void onNext(WatchResponse response) {
      long now = System.nanoTime();
      if (response.getCreated()) {
        created.countDown();
      }
      for (Event event : response.getEventsList()) {
        ByteBuffer value = event.getKv().getValue().asReadOnlyByteBuffer();
        if (event.getType() != Event.EventType.PUT || value.remaining() < 16) {
          continue;
        }
        value.getLong(); // the sequence number, kept in the value for reading a capture
        long sentAt = value.getLong();
        if (!window.contains(sentAt)) {
          continue;
        }
        recorders.recordNanos(index, now - sentAt);
        window.received.incrementAndGet();
        window.lastArrival.accumulateAndGet(now, Math::max);
      }
    }

    @Override
    public void onError(Throwable error) {
      recorders.recordError(index);
    }

    @Override
    public void onCompleted() {}

    void close() {
      try {
        requests.onCompleted();
      } catch (RuntimeException alreadyClosed) {
        // the stream failed earlier; its error is already counted
      }
    }
  }

  /** Open-loop putters: request i is due at its scheduled time whatever the server does. */
  private static final class Putters {
    private final Workload workload;
    private final ChannelPool channels;
    private final Window window;
    private final long start;
    private final AtomicLong nextSeq = new AtomicLong();
    final AtomicLong answeredInWindow = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    private final AtomicBoolean firstErrorReported = new AtomicBoolean();

    Putters(Workload workload, ChannelPool channels, Window window, long start) {
      this.workload = workload;
      this.channels = channels;
      this.window = window;
      this.start = start;
    }

    /**
     * Runs the putters until {@code end}, each on its own thread issuing asynchronous puts at its
     * schedule, then waits (bounded) for the answers of the last puts.
     */
    void runUntil(long end) throws InterruptedException {
      List<Thread> threads = new ArrayList<>();
      AtomicLong outstanding = new AtomicLong();
      for (int c = 0; c < workload.clients(); c++) {
        OpenLoopSchedule schedule =
            OpenLoopSchedule.forClient(start, workload.rate(), workload.clients(), c);
        KVGrpc.KVStub stub = KVGrpc.newStub(channels.forClient(c));
        Thread thread = Thread.ofPlatform().name("watch-putter-" + c).daemon().start(() -> {
          try {
            for (long i = 0; ; i++) {
              long due = schedule.intendedStartNanos(i);
              if (due >= end) {
                return;
              }
              LoadGenerator.sleepUntil(due);
              long seq = nextSeq.getAndIncrement();
              outstanding.incrementAndGet();
              put(stub, seq, due, outstanding);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        threads.add(thread);
      }
      for (Thread thread : threads) {
        thread.join(TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()) + 5_000);
        thread.interrupt();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(KvOperations.DEADLINE_SECONDS);
      while (outstanding.get() > 0 && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(10);
      }
    }

    /**
     * Sends put {@code seq}, stamped with its intended start {@code dueAt}: a putter that falls
     * behind its schedule is charged the delay, as in {@link OpenLoopSchedule}.
     */
    private void put(KVGrpc.KVStub stub, long seq, long dueAt, AtomicLong outstanding) {
      long sentAt = dueAt;
      ByteBuffer value = ByteBuffer.allocate(Math.max(16, workload.valueSize()));
      value.putLong(seq).putLong(sentAt);
      PutRequest request = PutRequest.newBuilder()
          .setKey(ByteString.copyFrom(PREFIX + seq, StandardCharsets.US_ASCII))
          .setValue(ByteString.copyFrom(value.array()))
          .build();
      stub.withDeadlineAfter(KvOperations.DEADLINE_SECONDS, TimeUnit.SECONDS).put(request,
          KvOperations.observer(new Operation.Completion() {
            @Override
            public void succeeded() {
              if (window.contains(sentAt)) {
                answeredInWindow.incrementAndGet();
              }
              outstanding.decrementAndGet();
            }

            @Override
            public void failed(Throwable error) {
              if (window.contains(sentAt)) {
                errors.incrementAndGet();
              }
              if (firstErrorReported.compareAndSet(false, true)) {
                System.err.println("  " + workload.name() + ": first put error: " + error);
              }
              outstanding.decrementAndGet();
            }
          }));
    }
  }

  /** The end of the range that holds every key starting with {@code prefix} (etcd's rule). */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ByteString.copyFrom(new byte[] {0});
  }
}
