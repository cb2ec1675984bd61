package io.kvorum.storage.failpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import io.kvorum.storage.snap.BackendSnapshot;
import io.kvorum.storage.wal.Wal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each storage hook fires where its name says, and only there. */
class StorageFailpointsTest {
  @TempDir
  Path dir;

  @AfterEach
  void inertAgain() {
    Failpoints.disableAll();
  }

  @Test
  void slowFsyncSlowsEverySyncedWalSave() {
    try (Wal wal = Wal.create(dir.resolve("wal"), ByteString.EMPTY, Wal.DEFAULT_SEGMENT_BYTES)) {
      Failpoints.enable("wal.beforeFsync=sleep(200ms)");
      long start = System.nanoTime();
      wal.save(hardState(1), List.of(entry(1)), true);
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(200_000_000L);
    }
  }

  @Test
  void fsyncFailpointsFireOnlyWhenTheSaveSyncs() throws IOException {
    Path walDir = dir.resolve("wal");
    try (Wal wal = Wal.create(walDir, ByteString.EMPTY, Wal.DEFAULT_SEGMENT_BYTES)) {
      Failpoints.enable("wal.beforeFsync=1*error");
      wal.save(hardState(1), List.of(entry(1)), false);
      assertThatThrownBy(() -> wal.save(hardState(2), List.of(entry(2)), true))
          .isInstanceOf(FailpointException.class)
          .hasMessageContaining("failpoint wal.beforeFsync: injected error");
    }
    Failpoints.disableAll();
    Wal.Replay r = Wal.open(walDir, Wal.DEFAULT_SEGMENT_BYTES);
    r.wal().close();
    // the records were written before the failed fsync; the OS still has them
    assertThat(r.entries()).containsOnlyKeys(1L, 2L);
  }

  @Test
  void failedBackendCommitLeavesTheBatchUnwritten() {
    Path db = dir.resolve("db");
    try (Backend backend = Backend.open(db);
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults())) {
      put(store, "a", 1);
      Failpoints.enable("backend.beforeCommit=error");
      assertThatThrownBy(() -> put(store, "b", 2))
          .isInstanceOf(FailpointException.class)
          .hasMessageContaining("backend.beforeCommit");
      // the store refuses to serve state its backend does not have
      assertThatThrownBy(() -> store.range(range("a")))
          .hasMessageContaining("store unusable: backend commit failed: failpoint backend.beforeCommit");
    }
    Failpoints.disableAll();
    try (Backend backend = Backend.open(db);
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults())) {
      assertThat(store.consistentIndex()).isEqualTo(1);
      assertThat(store.range(range("a")).getCount()).isEqualTo(1);
      assertThat(store.range(range("b")).getCount()).isZero();
    }
  }

  @Test
  void snapshotSendAndReceiveFail() throws IOException {
    Path file = dir.resolve("db.snapshot");
    try (Backend backend = Backend.open(dir.resolve("db"));
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults())) {
      put(store, "a", 1);
      Failpoints.enable("snapshot.send=error");
      assertThatThrownBy(() -> BackendSnapshot.write(backend, dir.resolve("scratch"),
              new ByteArrayOutputStream()))
          .isInstanceOf(UncheckedIOException.class)
          .hasRootCauseMessage("failpoint snapshot.send: injected error (set by KVORUM_FAILPOINTS)");
      Failpoints.disableAll();
      try (var out = Files.newOutputStream(file)) {
        BackendSnapshot.write(backend, dir.resolve("scratch"), out);
      }
    }
    Failpoints.enable("snapshot.receive=error");
    Path restored = dir.resolve("restored");
    assertThatThrownBy(() -> BackendSnapshot.restore(file, restored))
        .isInstanceOf(FailpointException.class);
    assertThat(restored).doesNotExist();
  }

  private static void put(MvccStore store, String key, long index) {
    try (ApplyBatch b = store.beginApply()) {
      b.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
          .setValue(ByteString.copyFromUtf8("v")).build());
      b.commit(index);
    }
  }

  private static RangeRequest range(String key) {
    return RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build();
  }

  private static HardState hardState(long commit) {
    return HardState.newBuilder().setTerm(1).setCommit(commit).build();
  }

  private static Entry entry(long index) {
    return Entry.newBuilder().setTerm(1).setIndex(index)
        .setData(ByteString.copyFromUtf8("e" + index)).build();
  }
}
