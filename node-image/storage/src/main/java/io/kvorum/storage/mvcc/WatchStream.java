package io.kvorum.storage.mvcc;

import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The watchers of one client Watch RPC and the queue of responses for it, in etcd's order and
 * shape (created, events, canceled, compacted, progress). The server's gRPC adapter passes
 * create/cancel/progress requests in and drains {@link #poll(long, TimeUnit)} into the call.
 *
 * <p>Back-pressure: at most {@code capacity} event responses wait here. When full, the store
 * stops pushing and the watcher catches up from the backend once the client reads again
 * (see {@link WatchableStore}). Control responses (created, canceled, progress) always fit.
 * Watch ids start at 0 per stream, as in etcd.
 */
public final class WatchStream implements AutoCloseable {
  private final WatchableStore watchable;
  private final int capacity;
  private final LinkedBlockingQueue<WatchResponse> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger queuedEvents = new AtomicInteger();
  private final Map<Long, WatchableStore.Watcher> watchers = new HashMap<>();
  private long nextId;
  private boolean closed;

  WatchStream(WatchableStore watchable, int capacity) {
    this.watchable = watchable;
    this.capacity = capacity;
  }

  /**
   * Creates a watcher; a "created" response is queued first. A start revision of 0 means "from
   * the next revision"; an old one catches up from the backend; a compacted one gets a compacted
   * response carrying the compact revision.
   *
   * @return the watch id
   */
  public synchronized long watch(WatchCreateRequest r) {
    if (closed) {
      throw new IllegalStateException("watch stream is closed");
    }
    long id = nextId++;
    watchers.put(id, watchable.add(this, id, r));
    return id;
  }

  /** Cancels a watcher; a "canceled" response follows. Returns false if the id is unknown. */
  public synchronized boolean cancel(long watchId) {
    WatchableStore.Watcher w = watchers.remove(watchId);
    return w != null && watchable.remove(w, true);
  }

  /** etcd's progress request: queues the current revision when all watchers are synced. */
  public void requestProgress() {
    watchable.requestProgress(this);
  }

  /** The next response, waiting up to the timeout; null if none (or the stream is closed). */
  public WatchResponse poll(long timeout, TimeUnit unit) throws InterruptedException {
    WatchResponse r = queue.poll(timeout, unit);
    if (r != null && r.getEventsCount() > 0) {
      queuedEvents.decrementAndGet();
    }
    return r;
  }

  /** Whether nothing waits in the queue. */
  public boolean isEmpty() {
    return queue.isEmpty();
  }

  boolean offerEvents(WatchResponse r) {
    if (queuedEvents.get() >= capacity) {
      return false;
    }
    queuedEvents.incrementAndGet();
    queue.add(r);
    return true;
  }

  void enqueueControl(WatchResponse r) {
    if (r.getEventsCount() > 0) {
      queuedEvents.incrementAndGet();
    }
    queue.add(r);
  }

  /** Cancels every watcher silently (the client went away). */
  @Override
  public synchronized void close() {
    closed = true;
    for (WatchableStore.Watcher w : watchers.values()) {
      watchable.remove(w, false);
    }
    watchers.clear();
  }
}
