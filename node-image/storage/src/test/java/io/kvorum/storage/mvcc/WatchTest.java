package io.kvorum.storage.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchTest {
  @TempDir
  Path dir;
  StoreFixture f;

  @BeforeEach
  void open() {
    f = new StoreFixture(dir);
  }

  @AfterEach
  void close() {
    f.close();
  }

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private void put(String k, String v) {
    f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v)).build()));
  }

  private static WatchCreateRequest.Builder watch(String key) {
    return WatchCreateRequest.newBuilder().setKey(bs(key));
  }

  /** Drains events (not control responses) until {@code count} arrived or the deadline passes. */
  private static List<Event> events(WatchStream s, int count, List<WatchResponse> control)
      throws InterruptedException {
    List<Event> out = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (out.size() < count && System.nanoTime() < deadline) {
      WatchResponse r = s.poll(50, TimeUnit.MILLISECONDS);
      if (r == null) {
        continue;
      }
      if (r.getEventsCount() == 0) {
        control.add(r);
      }
      out.addAll(r.getEventsList());
    }
    return out;
  }

  @Test
  void syncedWatcherSeesPutsAndDeletesWithPrevKvAndFilters() throws Exception {
    put("a", "0");
    WatchStream s = f.store.watchableStore().newWatchStream(100);
    long all = s.watch(watch("a").setRangeEnd(bs("b")).setPrevKv(true).build());
    long noPut = s.watch(watch("a").addFilters(WatchCreateRequest.FilterType.NOPUT).build());
    put("a", "1");
    put("a1", "x");
    f.apply(b -> b.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("a")).build()));
    List<WatchResponse> control = new ArrayList<>();
    Map<Long, List<Event>> byWatch = new HashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (byWatch.values().stream().mapToInt(List::size).sum() < 4 && System.nanoTime() < deadline) {
      WatchResponse r = s.poll(50, TimeUnit.MILLISECONDS);
      if (r != null) {
        if (r.getCreated()) {
          control.add(r);
        }
        byWatch.computeIfAbsent(r.getWatchId(), k -> new ArrayList<>()).addAll(r.getEventsList());
      }
    }
    assertThat(control).extracting(WatchResponse::getWatchId).containsExactly(all, noPut);
    assertThat(control.getFirst().getHeader().getRevision()).isEqualTo(2);
    List<Event> a = byWatch.get(all);
    assertThat(a).extracting(e -> e.getKv().getModRevision()).containsExactly(3L, 4L, 5L);
    assertThat(a.get(0).getPrevKv().getValue().toStringUtf8()).isEqualTo("0");
    assertThat(a.get(2).getType()).isEqualTo(Event.EventType.DELETE);
    assertThat(a.get(2).getPrevKv().getValue().toStringUtf8()).isEqualTo("1");
    assertThat(byWatch.get(noPut)).extracting(Event::getType).containsExactly(Event.EventType.DELETE);
  }

  /**
   * A follower far behind installs the leader's snapshot: its watchers must neither stop nor
   * repeat. Here the watcher has seen revisions 2..3 of its own store; the "leader" wrote 2..6
   * with the same first two puts, so after the restore the watcher gets exactly 4..6, then
   * live commits on top.
   */
  @Test
  void watcherCatchesUpAcrossASnapshotRestoreAndKeepsReceiving(@TempDir Path leaderDir, @TempDir Path scratch)
      throws Exception {
    WatchStream s = f.store.watchableStore().newWatchStream(100);
    s.watch(watch("k").setRangeEnd(bs("l")).build());
    put("k1", "a");
    put("k2", "b");
    assertThat(events(s, 2, new ArrayList<>())).extracting(e -> e.getKv().getModRevision()).containsExactly(2L, 3L);

    Path snapshot = scratch.resolve("leader.db");
    try (StoreFixture leader = new StoreFixture(leaderDir)) {
      for (String[] kv : new String[][] {{"k1", "a"}, {"k2", "b"}, {"k3", "c"}, {"other", "x"}, {"k1", "d"}}) {
        leader.apply(b -> b.put(PutRequest.newBuilder().setKey(bs(kv[0])).setValue(bs(kv[1])).build()));
      }
      try (var out = java.nio.file.Files.newOutputStream(snapshot)) {
        io.kvorum.storage.snap.BackendSnapshot.write(leader.backend, scratch, out);
      }
    }
    f.installSnapshot(snapshot, dir.resolve("restored"));
    assertThat(f.store.currentRevision()).isEqualTo(6);

    List<Event> caughtUp = events(s, 2, new ArrayList<>());
    assertThat(caughtUp).extracting(e -> e.getKv().getKey().toStringUtf8() + "@" + e.getKv().getModRevision())
        .containsExactly("k3@4", "k1@6");
    put("k9", "live");
    assertThat(events(s, 1, new ArrayList<>())).extracting(e -> e.getKv().getModRevision()).containsExactly(7L);
  }

  @Test
  void catchesUpFromAnOldRevisionWhileWritesContinue() throws Exception {
    for (int i = 0; i < 1500; i++) {
      put("k" + (i % 10), "v" + i);
    }
    WatchStream s = f.store.watchableStore().newWatchStream(16);
    s.watch(watch("k").setRangeEnd(bs("l")).setStartRevision(2).build());
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer = Thread.ofPlatform().start(() -> {
      for (int i = 1500; i < 2500 && !stop.get(); i++) {
        put("k" + (i % 10), "v" + i);
      }
    });
    List<Event> got = events(s, 2500, new ArrayList<>());
    stop.set(true);
    writer.join();
    assertThat(got).hasSize(2500);
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i).getKv().getModRevision()).as("event %d", i).isEqualTo(i + 2L);
      assertThat(got.get(i).getKv().getValue().toStringUtf8()).isEqualTo("v" + i);
    }
  }

  @Test
  void catchUpOfLargeValuesComesInBoundedResponses() throws Exception {
    ByteString big = ByteString.copyFrom(new byte[100 * 1024]);
    for (int i = 0; i < 120; i++) {
      f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs("big")).setValue(big).build()));
    }
    WatchStream s = f.store.watchableStore().newWatchStream(1000);
    s.watch(watch("big").setStartRevision(1).build());
    List<Long> revs = new ArrayList<>();
    int responses = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (revs.size() < 120 && System.nanoTime() < deadline) {
      WatchResponse r = s.poll(50, TimeUnit.MILLISECONDS);
      if (r != null && r.getEventsCount() > 0) {
        responses++;
        assertThat(r.getSerializedSize()).isLessThan(5 * 1024 * 1024);
        r.getEventsList().forEach(e -> revs.add(e.getKv().getModRevision()));
      }
    }
    assertThat(revs).isEqualTo(java.util.stream.LongStream.rangeClosed(2, 121).boxed().toList());
    assertThat(responses).isGreaterThanOrEqualTo(3);
  }

  @Test
  void watchFromACompactedRevisionGetsTheCompactRevision() throws Exception {
    for (int i = 0; i < 20; i++) {
      put("k", "v" + i);
    }
    f.apply(b -> b.compact(CompactionRequest.newBuilder().setRevision(15).build()));
    WatchStream s = f.store.watchableStore().newWatchStream(16);
    long id = s.watch(watch("k").setStartRevision(5).build());
    WatchResponse compacted = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (compacted == null && System.nanoTime() < deadline) {
      WatchResponse r = s.poll(50, TimeUnit.MILLISECONDS);
      if (r != null && r.getCompactRevision() != 0) {
        compacted = r;
      }
    }
    assertThat(compacted).isNotNull();
    assertThat(compacted.getWatchId()).isEqualTo(id);
    assertThat(compacted.getCanceled()).isTrue();
    assertThat(compacted.getCompactRevision()).isEqualTo(15);
  }

  @Test
  void slowWatcherOvertakenByCompactionIsCanceledWithoutLosingOrder() throws Exception {
    WatchStream s = f.store.watchableStore().newWatchStream(1);
    s.watch(watch("k").build());
    assertThat(s.poll(1, TimeUnit.SECONDS).getCreated()).isTrue();
    for (int i = 0; i < 10; i++) {
      put("k", "v" + i); // the stream holds one response; the watcher falls behind
    }
    f.apply(b -> b.compact(CompactionRequest.newBuilder().setRevision(8).build()));
    List<Long> revs = new ArrayList<>();
    long compactRev = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (compactRev == 0 && System.nanoTime() < deadline) {
      WatchResponse r = s.poll(50, TimeUnit.MILLISECONDS);
      if (r != null) {
        r.getEventsList().forEach(e -> revs.add(e.getKv().getModRevision()));
        compactRev = r.getCompactRevision();
      }
    }
    assertThat(compactRev).isEqualTo(8);
    assertThat(revs).isEqualTo(List.of(2L)).as("only the event delivered before falling behind");
  }

  @Test
  void manyWatchersEachSeeEveryEventOnce() throws Exception {
    List<WatchStream> streams = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      WatchStream s = f.store.watchableStore().newWatchStream(4);
      s.watch(watch("k").setRangeEnd(bs("\0")).setStartRevision(i % 3 == 0 ? 1 : 0).build());
      streams.add(s);
    }
    for (int i = 0; i < 200; i++) {
      put("k" + (i % 7), "v" + i);
    }
    for (WatchStream s : streams) {
      List<Event> got = events(s, 200, new ArrayList<>());
      assertThat(got).extracting(e -> e.getKv().getModRevision())
          .isEqualTo(java.util.stream.LongStream.rangeClosed(2, 201).boxed().toList());
    }
  }

  @Test
  void progressAndCancel() throws Exception {
    WatchStream s = f.store.watchableStore().newWatchStream(4);
    long id = s.watch(watch("x").setProgressNotify(true).build());
    put("y", "1");
    assertThat(s.poll(1, TimeUnit.SECONDS).getCreated()).isTrue();
    s.requestProgress();
    WatchResponse p = s.poll(1, TimeUnit.SECONDS);
    assertThat(p.getWatchId()).isEqualTo(-1);
    assertThat(p.getHeader().getRevision()).isEqualTo(2);
    f.store.watchableStore().notifyProgress();
    WatchResponse n = s.poll(1, TimeUnit.SECONDS);
    assertThat(n.getWatchId()).isEqualTo(id);
    assertThat(n.getEventsCount()).isZero();
    assertThat(s.cancel(id)).isTrue();
    WatchResponse c = s.poll(1, TimeUnit.SECONDS);
    assertThat(c.getCanceled()).isTrue();
    put("x", "after cancel");
    assertThat(s.poll(300, TimeUnit.MILLISECONDS)).isNull();
  }
}
