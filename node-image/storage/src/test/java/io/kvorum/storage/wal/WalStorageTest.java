package io.kvorum.storage.wal;

import static io.kvorum.storage.wal.WalTest.entries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvorum.raft.Storage;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Snapshot;
import io.kvorum.raft.pb.SnapshotMetadata;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalStorageTest {
  @TempDir
  Path dir;

  private WalStorage create() {
    return WalStorage.create(dir.resolve("wal"), dir.resolve("snap"), ByteString.copyFromUtf8("m"), 8192);
  }

  private WalStorage reopen() {
    return WalStorage.open(dir.resolve("wal"), dir.resolve("snap"), 8192);
  }

  @Test
  void implementsRaftStorageOverTheRecoveredLog() {
    HardState hs = HardState.newBuilder().setTerm(3).setVote(2).setCommit(20).build();
    try (WalStorage s = create()) {
      s.save(hs, entries(1, 30, 3), true);
    }
    try (WalStorage s = reopen()) {
      assertThat(s.initialState().hardState()).isEqualTo(hs);
      assertThat(s.firstIndex()).isEqualTo(1);
      assertThat(s.lastIndex()).isEqualTo(30);
      assertThat(s.term(0)).isZero();
      assertThat(s.term(30)).isEqualTo(3);
      assertThat(s.entries(5, 9, Long.MAX_VALUE)).isEqualTo(entries(5, 8, 3));
      assertThat(s.entries(5, 9, 1)).as("at least one entry").hasSize(1);
      assertThatThrownBy(() -> s.entries(5, 32, Long.MAX_VALUE))
          .isInstanceOf(Storage.UnavailableException.class);
      assertThatThrownBy(() -> s.term(31)).isInstanceOf(Storage.UnavailableException.class);
    }
  }

  @Test
  void snapshotThenCompactReleasesTheLogAndSurvivesRestart() {
    ConfState cs = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();
    try (WalStorage s = create()) {
      for (long i = 1; i <= 500; i += 50) {
        s.save(HardState.newBuilder().setTerm(1).setCommit(i + 49).build(), entries(i, i + 49, 1), true);
      }
      Snapshot snap = s.createSnapshot(400, cs, ByteString.copyFromUtf8("server-state"));
      assertThat(snap.getMetadata().getTerm()).isEqualTo(1);
      s.compact(350);
      assertThat(s.firstIndex()).isEqualTo(351);
      assertThat(s.term(350)).isEqualTo(1);
      assertThatThrownBy(() -> s.entries(300, 360, Long.MAX_VALUE))
          .isInstanceOf(Storage.CompactedException.class);
    }
    try (WalStorage s = reopen()) {
      assertThat(s.snapshot().getMetadata().getIndex()).isEqualTo(400);
      assertThat(s.snapshot().getData().toStringUtf8()).isEqualTo("server-state");
      assertThat(s.initialState().confState()).isEqualTo(cs);
      assertThat(s.firstIndex()).isEqualTo(401);
      assertThat(s.lastIndex()).isEqualTo(500);
      assertThat(s.term(400)).isEqualTo(1);
      assertThat(s.entries(401, 501, Long.MAX_VALUE)).isEqualTo(entries(401, 500, 1));
    }
  }

  @Test
  void conflictingSuffixIsReplacedInMemoryAndOnDisk() {
    try (WalStorage s = create()) {
      s.save(HardState.newBuilder().setTerm(1).build(), entries(1, 10, 1), true);
      s.save(HardState.newBuilder().setTerm(2).build(), entries(8, 9, 2), true);
      assertThat(s.lastIndex()).isEqualTo(9);
      assertThat(s.term(8)).isEqualTo(2);
    }
    try (WalStorage s = reopen()) {
      assertThat(s.lastIndex()).isEqualTo(9);
      assertThat(s.term(7)).isEqualTo(1);
      assertThat(s.term(9)).isEqualTo(2);
    }
  }

  @Test
  void entriesTheSnapshotCoversAreSkippedAndAppliedConfStateWins() {
    ConfState snapConf = ConfState.newBuilder().addVoters(1).build();
    ConfState applied = ConfState.newBuilder().addVoters(1).addVoters(2).build();
    try (WalStorage s = create()) {
      s.save(HardState.newBuilder().setTerm(1).build(), entries(1, 10, 1), true);
      s.createSnapshot(8, snapConf, ByteString.EMPTY);
      s.compact(8);
      s.save(HardState.newBuilder().setTerm(1).build(), entries(7, 12, 1), true);
      assertThat(s.firstIndex()).isEqualTo(9);
      assertThat(s.lastIndex()).isEqualTo(12);
      assertThat(s.initialState().confState()).isEqualTo(snapConf);
      s.useAppliedConfState(applied);
      assertThat(s.initialState().confState()).isEqualTo(applied);
    }
  }

  @Test
  void appliedSnapshotFromLeaderReplacesTheLog() {
    try (WalStorage s = create()) {
      s.save(HardState.newBuilder().setTerm(1).build(), entries(1, 10, 1), true);
      s.applySnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
          .setIndex(1000).setTerm(5)).build());
      assertThat(s.firstIndex()).isEqualTo(1001);
      assertThat(s.lastIndex()).isEqualTo(1000);
      s.save(HardState.newBuilder().setTerm(5).setCommit(1001).build(), entries(1001, 1002, 5), true);
    }
    try (WalStorage s = reopen()) {
      assertThat(s.term(1000)).isEqualTo(5);
      assertThat(s.entries(1001, 1003, Long.MAX_VALUE)).isEqualTo(entries(1001, 1002, 5));
    }
  }

  @Test
  void tracksTheBytesOfTheInMemoryLogThroughAppendsConflictsAndCompaction() {
    ConfState cs = ConfState.newBuilder().addVoters(1).build();
    try (WalStorage s = create()) {
      s.save(HardState.newBuilder().setTerm(1).build(), entries(1, 50, 1), true);
      assertThat(s.bytesThrough(50)).isEqualTo(bytes(entries(1, 50, 1)));
      assertThat(s.bytesThrough(20)).isEqualTo(bytes(entries(1, 20, 1)));
      s.save(HardState.newBuilder().setTerm(2).build(), entries(41, 45, 2), true);
      assertThat(s.bytesThrough(45)).as("41..50 replaced by 41..45 of term 2")
          .isEqualTo(bytes(entries(1, 40, 1)) + bytes(entries(41, 45, 2)));
      s.createSnapshot(45, cs, ByteString.EMPTY);
      s.compact(30);
      assertThat(s.bytesThrough(45)).isEqualTo(bytes(entries(31, 40, 1)) + bytes(entries(41, 45, 2)));
    }
    try (WalStorage s = reopen()) {
      assertThat(s.bytesThrough(45)).as("recovery keeps only what follows the snapshot").isZero();
    }
  }

  @Test
  void compactionPointKeepsAtMostTheGivenEntriesAndBytes() {
    try (WalStorage s = create()) {
      s.save(HardState.newBuilder().setTerm(1).build(), entries(1, 50, 1), true);
      assertThat(s.compactionPoint(50, 5000, bytes(entries(41, 50, 1)))).isEqualTo(40);
      assertThat(s.compactionPoint(50, 5, Long.MAX_VALUE)).isEqualTo(45);
      assertThat(s.compactionPoint(30, 5, Long.MAX_VALUE)).isEqualTo(25);
      assertThat(s.compactionPoint(50, 5000, Long.MAX_VALUE)).as("everything fits: nothing to drop").isZero();
      assertThat(s.compactionPoint(50, 5000, 0)).as("the entry at the index always stays").isEqualTo(49);
    }
  }

  private static long bytes(List<Entry> list) {
    return list.stream().mapToLong(Entry::getSerializedSize).sum();
  }
}
