package io.kvorum.storage.snap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.raft.pb.Snapshot;
import io.kvorum.raft.pb.SnapshotMetadata;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {
  @TempDir
  Path dir;

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void streamedSnapshotHasAShaTrailerAndRestoresAtItsIndex() throws Exception {
    Path file = dir.resolve("backup.db");
    try (Backend backend = Backend.open(dir.resolve("db"));
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults())) {
      for (int i = 0; i < 100; i++) {
        try (ApplyBatch b = store.beginApply()) {
          b.put(PutRequest.newBuilder().setKey(bs("k" + i)).setValue(bs("v" + i)).build());
          b.commit(i + 1);
        }
      }
      long written;
      try (OutputStream out = Files.newOutputStream(file)) {
        written = BackendSnapshot.write(backend, dir.resolve("scratch"), out);
      }
      // writes after the snapshot are not in it
      try (ApplyBatch b = store.beginApply()) {
        b.put(PutRequest.newBuilder().setKey(bs("late")).setValue(bs("x")).build());
        b.commit(101);
      }
      byte[] bytes = Files.readAllBytes(file);
      assertThat(bytes.length).isEqualTo(written);
      byte[] body = Arrays.copyOf(bytes, bytes.length - 32);
      assertThat(Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length))
          .isEqualTo(MessageDigest.getInstance("SHA-256").digest(body));
      assertThat(Files.list(dir.resolve("scratch")).toList()).as("checkpoint cleaned up").isEmpty();
    }
    BackendSnapshot.verify(file);
    Path restored = dir.resolve("restored");
    BackendSnapshot.restore(file, restored);
    try (Backend backend = Backend.open(restored);
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults())) {
      assertThat(store.consistentIndex()).isEqualTo(100);
      assertThat(store.currentRevision()).isEqualTo(101);
      assertThat(store.range(RangeRequest.newBuilder().setKey(bs("k")).setRangeEnd(bs("l"))
          .setCountOnly(true).build()).getCount()).isEqualTo(100);
      assertThat(store.range(RangeRequest.newBuilder().setKey(bs("late")).build()).getCount()).isZero();
    }
  }

  @Test
  void readerReportsRemainingBytesForChunkedSending() throws Exception {
    try (Backend backend = Backend.open(dir.resolve("db"))) {
      try (SnapshotReader r = BackendSnapshot.open(backend, dir.resolve("scratch"))) {
        long total = r.totalBytes();
        byte[] chunk = new byte[1000];
        long sum = 0;
        int n;
        while ((n = r.read(chunk)) > 0) {
          sum += n;
          assertThat(r.remainingBytes()).isEqualTo(total - sum);
        }
        assertThat(sum).isEqualTo(total);
      }
      assertThat(Files.list(dir.resolve("scratch")).toList()).isEmpty();
    }
  }

  @Test
  void damagedOrTruncatedSnapshotIsRefusedAndRestoresNothing() throws Exception {
    Path file = dir.resolve("backup.db");
    try (Backend backend = Backend.open(dir.resolve("db"));
        OutputStream out = Files.newOutputStream(file)) {
      BackendSnapshot.write(backend, dir.resolve("scratch"), out);
    }
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 1;
    Path damaged = dir.resolve("damaged.db");
    Files.write(damaged, bytes);
    assertThatThrownBy(() -> BackendSnapshot.verify(damaged))
        .isInstanceOf(SnapshotIntegrityException.class).hasMessageContaining("SHA-256");
    Path cut = dir.resolve("cut.db");
    Files.write(cut, Arrays.copyOf(Files.readAllBytes(file), 100));
    assertThatThrownBy(() -> BackendSnapshot.restore(cut, dir.resolve("r")))
        .isInstanceOf(SnapshotIntegrityException.class);
    assertThat(dir.resolve("r")).doesNotExist();
    assertThat(dir.resolve("r.restoring")).doesNotExist();
  }

  @Test
  void snapshotterSkipsBrokenFilesAndUnmarkedSnapshots() throws Exception {
    Snapshotter s = new Snapshotter(dir.resolve("snap"));
    for (long i : new long[] {10, 20, 30}) {
      s.save(Snapshot.newBuilder().setData(bs("at " + i))
          .setMetadata(SnapshotMetadata.newBuilder().setIndex(i).setTerm(2)).build());
    }
    List<SnapshotMetadata> marked = List.of(
        SnapshotMetadata.newBuilder().setIndex(10).setTerm(2).build(),
        SnapshotMetadata.newBuilder().setIndex(20).setTerm(2).build());
    assertThat(s.loadNewestValid(marked).getData().toStringUtf8()).isEqualTo("at 20");
    Path newest = s.files().get(1);
    byte[] b = Files.readAllBytes(newest);
    b[b.length - 1] ^= 1;
    Files.write(newest, b);
    assertThat(s.loadNewestValid(marked).getData().toStringUtf8()).isEqualTo("at 10");
    assertThat(newest.resolveSibling(newest.getFileName() + ".broken")).exists();
  }
}
