package io.kvorum.storage.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.kvorum.storage.KeyOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watchers over the store, as etcd's {@code watchableStore}. A watcher is <em>synced</em> when it
 * has seen every committed revision: it gets the events of each new commit directly. Otherwise it
 * is <em>unsynced</em> and a background pass reads its missing revisions from the backend, in
 * windows of at most {@value #MAX_REVISIONS_PER_SYNC} revisions (and about 4 MiB of values, never
 * splitting a revision), then moves it to synced.
 *
 * <p>Invariant: a watcher's {@code minRev} is the lowest revision it has not been sent. Every
 * delivery and every move between groups happens under the store's write lock, the same lock a
 * commit holds while it writes and notifies, so each revision reaches a watcher exactly once and
 * in order. Example: a watcher created at revision 5 while the store is at 100 is unsynced with
 * minRev 5; the sync pass sends 5..100 (or 5..1004 when the store is further ahead), sets minRev
 * to 101 and moves it to synced; commit 101 then notifies it directly.
 *
 * <p>Slow consumers (etcd's victims): when a stream's queue is full, the watcher is moved back
 * to unsynced with its {@code minRev} unchanged and catches up from the backend once the stream
 * drains, so a slow client never blocks the apply loop and never loses an event, unless
 * compaction overtakes it, in which case it gets a compacted response and is canceled.
 */
public final class WatchableStore implements AutoCloseable {
  static final int MAX_REVISIONS_PER_SYNC = 1000;
  /** Values read per catch-up pass: bounds memory and the size of one watch response. */
  static final long MAX_BYTES_PER_SYNC = 4L * 1024 * 1024;

  private final MvccStore store;
  private final StoreOptions options;
  private final Set<Watcher> synced = new LinkedHashSet<>();
  private final Set<Watcher> unsynced = new LinkedHashSet<>();
  private final ScheduledExecutorService background;
  private long lastProgressNanos;

  WatchableStore(MvccStore store, StoreOptions options) {
    this.store = store;
    this.options = options;
    this.background = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kvorum-watch-sync");
      t.setDaemon(true);
      return t;
    });
    this.lastProgressNanos = System.nanoTime();
    background.scheduleWithFixedDelay(this::backgroundPass,
        options.watchSyncIntervalMillis(), options.watchSyncIntervalMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Opens a stream of watchers (one per client Watch RPC).
   *
   * @param capacity how many event responses may wait in the stream before its watchers are
   *     treated as slow
   */
  public WatchStream newWatchStream(int capacity) {
    return new WatchStream(this, capacity);
  }

  /** One watch of a stream. Mutable state is guarded by the store's write lock. */
  static final class Watcher {
    final WatchStream stream;
    final long id;
    final ByteString key;
    final ByteString end;
    final boolean prevKv;
    final boolean noPut;
    final boolean noDelete;
    final boolean progressNotify;
    long minRev;

    Watcher(WatchStream stream, long id, WatchCreateRequest r, long minRev) {
      this.stream = stream;
      this.id = id;
      this.key = r.getKey();
      this.end = TreeIndex.rangeEnd(r.getRangeEnd());
      this.prevKv = r.getPrevKv();
      this.noPut = r.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT);
      this.noDelete = r.getFiltersList().contains(WatchCreateRequest.FilterType.NODELETE);
      this.progressNotify = r.getProgressNotify();
      this.minRev = minRev;
    }

    boolean wants(Event e) {
      if (e.getKv().getModRevision() < minRev) {
        return false;
      }
      if (e.getType() == Event.EventType.PUT ? noPut : noDelete) {
        return false;
      }
      ByteString k = e.getKv().getKey();
      if (end == null) {
        return k.equals(key);
      }
      Comparator<ByteString> order = KeyOrder.UNSIGNED;
      return order.compare(key, k) <= 0 && (end.isEmpty() || order.compare(k, end) < 0);
    }
  }

  Watcher add(WatchStream stream, long id, WatchCreateRequest r) {
    store.lock.writeLock().lock();
    try {
      long committed = store.committedRevision();
      long start = r.getStartRevision();
      Watcher w = new Watcher(stream, id, r, start <= 0 ? committed + 1 : start);
      (w.minRev > committed ? synced : unsynced).add(w);
      stream.enqueueControl(WatchResponse.newBuilder().setHeader(MvccStore.header(committed))
          .setWatchId(id).setCreated(true).build());
      return w;
    } finally {
      store.lock.writeLock().unlock();
    }
  }

  boolean remove(Watcher w, boolean sendCanceled) {
    store.lock.writeLock().lock();
    try {
      boolean removed = synced.remove(w) | unsynced.remove(w);
      if (removed && sendCanceled) {
        w.stream.enqueueControl(WatchResponse.newBuilder()
            .setHeader(MvccStore.header(store.committedRevision()))
            .setWatchId(w.id).setCanceled(true).build());
      }
      return removed;
    } finally {
      store.lock.writeLock().unlock();
    }
  }

  /** etcd's RequestProgressAll: the revision, if every watcher of the stream is synced. */
  void requestProgress(WatchStream stream) {
    store.lock.writeLock().lock();
    try {
      for (Watcher w : unsynced) {
        if (w.stream == stream) {
          return;
        }
      }
      stream.enqueueControl(WatchResponse.newBuilder()
          .setHeader(MvccStore.header(store.committedRevision())).setWatchId(-1).build());
    } finally {
      store.lock.writeLock().unlock();
    }
  }

  /**
   * The store's contents were replaced (a snapshot): every watcher catches up from the new
   * backend. Called under the store's write lock.
   */
  void resyncAll() {
    unsynced.addAll(synced);
    synced.clear();
  }

  /** Called by a commit, under the store's write lock, with the events it made durable. */
  void notifyCommitted(List<Event> events, long rev) {
    if (events.isEmpty()) {
      return;
    }
    List<Watcher> slow = new ArrayList<>();
    for (Watcher w : synced) {
      List<Event> matching = matching(w, events);
      if (!matching.isEmpty() && !w.stream.offerEvents(response(w, matching, rev))) {
        slow.add(w);
        continue;
      }
      w.minRev = Math.max(w.minRev, rev + 1);
    }
    for (Watcher w : slow) {
      synced.remove(w);
      unsynced.add(w);
    }
  }

  /** One catch-up pass over the unsynced watchers; also run by the background thread. */
  public void syncWatchers() {
    store.lock.writeLock().lock();
    try {
      if (unsynced.isEmpty()) {
        return;
      }
      long committed = store.committedRevision();
      long compacted = store.compactRevisionLocked();
      long from = Long.MAX_VALUE;
      for (Watcher w : new ArrayList<>(unsynced)) {
        if (w.minRev < compacted) {
          unsynced.remove(w);
          w.stream.enqueueControl(WatchResponse.newBuilder()
              .setHeader(MvccStore.header(committed)).setWatchId(w.id)
              .setCanceled(true).setCompactRevision(compacted)
              .setCancelReason("mvcc: required revision has been compacted").build());
          continue;
        }
        from = Math.min(from, w.minRev);
      }
      if (from == Long.MAX_VALUE) {
        return;
      }
      long to = Math.min(committed, from + MAX_REVISIONS_PER_SYNC - 1);
      List<Event> events = List.of();
      if (from <= to) {
        MvccStore.EventWindow window = store.committedEvents(from, to, MAX_BYTES_PER_SYNC);
        events = window.events();
        to = window.lastRevision();
      }
      for (Watcher w : new ArrayList<>(unsynced)) {
        if (w.minRev <= to) {
          List<Event> matching = matching(w, events);
          if (!matching.isEmpty() && !w.stream.offerEvents(response(w, matching, to))) {
            continue; // still slow: retry on a later pass
          }
          w.minRev = to + 1;
        }
        if (w.minRev > committed) {
          unsynced.remove(w);
          synced.add(w);
        }
      }
    } finally {
      store.lock.writeLock().unlock();
    }
  }

  /** Sends an empty response with the current revision to every synced progress_notify watcher. */
  public void notifyProgress() {
    store.lock.writeLock().lock();
    try {
      long committed = store.committedRevision();
      for (Watcher w : synced) {
        if (w.progressNotify) {
          w.stream.enqueueControl(WatchResponse.newBuilder()
              .setHeader(MvccStore.header(committed)).setWatchId(w.id).build());
        }
      }
    } finally {
      store.lock.writeLock().unlock();
    }
  }

  /** Watchers waiting to catch up; exposed for metrics (etcd_debugging_mvcc_slow_watcher_total). */
  public int unsyncedCount() {
    store.lock.readLock().lock();
    try {
      return unsynced.size();
    } finally {
      store.lock.readLock().unlock();
    }
  }

  private List<Event> matching(Watcher w, List<Event> events) {
    List<Event> out = new ArrayList<>();
    for (Event e : events) {
      if (w.wants(e)) {
        if (w.prevKv) {
          KeyValue prev = store.previous(e.getKv().getKey(), e.getKv().getModRevision());
          out.add(prev == null ? e : e.toBuilder().setPrevKv(prev).build());
        } else {
          out.add(e);
        }
      }
    }
    return out;
  }

  private static WatchResponse response(Watcher w, List<Event> events, long rev) {
    return WatchResponse.newBuilder().setHeader(MvccStore.header(rev))
        .setWatchId(w.id).addAllEvents(events).build();
  }

  private void backgroundPass() {
    try {
      syncWatchers();
      long now = System.nanoTime();
      if (now - lastProgressNanos >= options.progressNotifyIntervalMillis() * 1_000_000L) {
        lastProgressNanos = now;
        notifyProgress();
      }
    } catch (RuntimeException e) {
      // The store went unusable (it says why to its caller); nothing to sync any more.
    }
  }

  @Override
  public void close() {
    background.shutdownNow();
  }
}
