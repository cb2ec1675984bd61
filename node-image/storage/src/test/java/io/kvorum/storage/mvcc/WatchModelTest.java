package io.kvorum.storage.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random writes, compactions and watchers (old start revisions, filters, prev_kv, tiny stream
 * capacities so most of them fall behind and catch up from the backend), consumed concurrently.
 * Each watcher must receive exactly the matching events from its start revision, in order,
 * without duplicates, or a prefix of them followed by a compacted cancel.
 */
class WatchModelTest {
  private static final String[] KEYS = {"a", "b", "c", "d"};

  @TempDir
  Path dir;

  /** An expected event: revision, key, type, value, and the previous value ("" if none). */
  record Ev(long rev, String key, boolean put, String value, String prev) {}

  record Watch(WatchStream stream, long id, long start, String key, boolean wholeSpace,
      boolean noPut, boolean noDelete, boolean prevKv) {
    boolean wants(Ev e) {
      return e.rev >= start && (wholeSpace || e.key.equals(key)) && !(e.put ? noPut : noDelete);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {10, 11, 12})
  void everyWatcherGetsExactlyItsEvents(long seed) throws Exception {
    Random rnd = new Random(seed);
    List<Ev> log = new ArrayList<>();
    Map<String, String> current = new HashMap<>();
    List<Watch> watches = new ArrayList<>();
    Map<Watch, List<Event>> got = new HashMap<>();
    Map<Watch, Long> compactedAt = new HashMap<>();
    try (StoreFixture f = new StoreFixture(dir)) {
      for (int step = 0; step < 600; step++) {
        int op = rnd.nextInt(20);
        if (op < 8) {
          String k = KEYS[rnd.nextInt(KEYS.length)];
          String v = "v" + step;
          long rev = f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v)).build()))
              .getHeader().getRevision();
          log.add(new Ev(rev, k, true, v, current.getOrDefault(k, "")));
          current.put(k, v);
        } else if (op < 11) {
          String k = KEYS[rnd.nextInt(KEYS.length)];
          var resp = f.apply(b -> b.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs(k)).build()));
          if (resp.getDeleted() > 0) {
            log.add(new Ev(resp.getHeader().getRevision(), k, false, "", current.remove(k)));
          }
        } else if (op < 14) {
          String v = "t" + step;
          long rev = f.apply(b -> b.txn(TxnRequest.newBuilder()
              .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("a")).setValue(bs(v))))
              .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("c")).setValue(bs(v))))
              .build())).getHeader().getRevision();
          log.add(new Ev(rev, "a", true, v, current.getOrDefault("a", "")));
          log.add(new Ev(rev, "c", true, v, current.getOrDefault("c", "")));
          current.put("a", v);
          current.put("c", v);
        } else if (op < 15 && rnd.nextInt(3) == 0) {
          long at = f.store.currentRevision() - 30 - rnd.nextInt(40);
          if (at > Math.max(1, f.store.compactRevision())) {
            f.apply(b -> b.compact(CompactionRequest.newBuilder().setRevision(at).build()));
          }
        } else if (op < 17 && watches.size() < 40) {
          long cur = f.store.currentRevision();
          long start = rnd.nextInt(4) == 0 ? 0 : Math.max(1, cur - rnd.nextInt(60) + 2);
          boolean whole = rnd.nextBoolean();
          String key = KEYS[rnd.nextInt(KEYS.length)];
          int filter = rnd.nextInt(5);
          boolean prevKv = rnd.nextBoolean();
          WatchCreateRequest.Builder req = WatchCreateRequest.newBuilder()
              .setKey(bs(whole ? "\0" : key)).setStartRevision(start).setPrevKv(prevKv);
          if (whole) {
            req.setRangeEnd(bs("\0"));
          }
          if (filter == 0) {
            req.addFilters(WatchCreateRequest.FilterType.NOPUT);
          } else if (filter == 1) {
            req.addFilters(WatchCreateRequest.FilterType.NODELETE);
          }
          WatchStream s = f.store.watchableStore().newWatchStream(1 + rnd.nextInt(3));
          long id = s.watch(req.build());
          Watch w = new Watch(s, id, start == 0 ? cur + 1 : start, key, whole,
              filter == 0, filter == 1, prevKv);
          watches.add(w);
          got.put(w, new ArrayList<>());
        } else {
          f.store.watchableStore().syncWatchers(); // besides the background pass
          drain(watches, got, compactedAt, 0);
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && !finished(watches, got, compactedAt, log)) {
        drain(watches, got, compactedAt, 20);
      }
    }
    int caughtUp = 0;
    for (Watch w : watches) {
      List<Ev> expected = log.stream().filter(w::wants).toList();
      List<Event> events = got.get(w);
      assertThat(events.size()).as("watch %s", w).isLessThanOrEqualTo(expected.size());
      for (int i = 0; i < events.size(); i++) {
        Event e = events.get(i);
        Ev x = expected.get(i);
        assertThat(e.getKv().getModRevision()).as("watch %s event %d", w, i).isEqualTo(x.rev);
        assertThat(e.getKv().getKey().toStringUtf8()).isEqualTo(x.key);
        assertThat(e.getType() == Event.EventType.PUT).isEqualTo(x.put);
        assertThat(e.getKv().getValue().toStringUtf8()).isEqualTo(x.value);
        if (w.prevKv && e.hasPrevKv()) {
          assertThat(e.getPrevKv().getValue().toStringUtf8()).isEqualTo(x.prev);
        } else if (w.prevKv && !x.prev.isEmpty()) {
          assertThat(x.rev - 1).as("prev_kv only missing when compacted away")
              .isLessThan(compactedOrMax(compactedAt, w));
        }
      }
      if (events.size() < expected.size()) {
        assertThat(compactedAt).as("watch %s stopped early without a compacted cancel", w).containsKey(w);
        // canceled because its position (the next revision it had not seen) fell below the
        // compaction: everything it got is older than that
        long compacted = compactedAt.get(w);
        assertThat(w.start).isLessThan(compacted);
        if (!events.isEmpty()) {
          assertThat(events.getLast().getKv().getModRevision()).isLessThan(compacted);
        }
      } else {
        caughtUp++;
      }
    }
    assertThat(caughtUp).as("most watchers saw everything").isGreaterThan(watches.size() / 3);
  }

  private static long compactedOrMax(Map<Watch, Long> compactedAt, Watch w) {
    return compactedAt.getOrDefault(w, Long.MAX_VALUE);
  }

  private static boolean finished(List<Watch> watches, Map<Watch, List<Event>> got,
      Map<Watch, Long> compactedAt, List<Ev> log) {
    for (Watch w : watches) {
      if (!compactedAt.containsKey(w) && got.get(w).size() < log.stream().filter(w::wants).count()) {
        return false;
      }
    }
    return true;
  }

  private static void drain(List<Watch> watches, Map<Watch, List<Event>> got,
      Map<Watch, Long> compactedAt, long waitMillis) throws InterruptedException {
    for (Watch w : watches) {
      WatchResponse r;
      while ((r = w.stream.poll(waitMillis, TimeUnit.MILLISECONDS)) != null) {
        assertThat(compactedAt).as("nothing after a compacted cancel").doesNotContainKey(w);
        if (r.getCompactRevision() != 0) {
          compactedAt.put(w, r.getCompactRevision());
        }
        got.get(w).addAll(r.getEventsList());
        waitMillis = 0;
      }
    }
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
