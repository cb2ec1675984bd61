package io.kvorum.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.raft.Config;
import io.kvorum.raft.RawNode;
import io.kvorum.raft.Ready;
import io.kvorum.raft.pb.ConfChange;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.EntryType;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.mvcc.ApplyBatch;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import io.kvorum.storage.wal.Wal;
import io.kvorum.storage.wal.WalStorage;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage under the real Raft core, as the server will drive it: a one-member cluster
 * bootstraps, elects itself, commits puts through the log, snapshots, restarts from disk twice
 * and goes on. Checks the {@code Storage} contract end to end: the restarted core resumes at the
 * applied index with the membership of the applied log, and nothing is applied twice.
 */
class RaftIntegrationTest {
  @TempDir
  Path root;

  /** One incarnation of the member. */
  private final class Member implements AutoCloseable {
    final DataDir dir = new DataDir(root);
    final WalStorage log;
    final Backend backend;
    final MvccStore store;
    final RawNode node;
    ConfState conf = ConfState.getDefaultInstance();

    Member() {
      dir.checkStartable();
      boolean fresh = !dir.hasWal();
      log = fresh
          ? WalStorage.create(dir.walDir(), dir.snapDir(), ByteString.copyFromUtf8("c1/m1"), 4096)
          : WalStorage.open(dir.walDir(), dir.snapDir(), 4096);
      backend = Backend.open(dir.dbDir());
      store = MvccStore.open(backend, StoreOptions.defaults());
      if (store.confState() != null) {
        log.useAppliedConfState(store.confState());
        conf = store.confState();
      }
      node = new RawNode(Config.builder(1, log).electionTick(10).heartbeatTick(1)
          .applied(store.consistentIndex()).random(new SplittableRandom(1)).build());
      if (fresh) {
        node.bootstrap(List.of(1L));
      }
      drain(); // a member campaigns only once its configuration entries are applied
      node.campaign();
      drain();
    }

    void drain() {
      for (int i = 0; i < 1000 && node.hasReady(); i++) {
        Ready rd = node.ready();
        rd.snapshot().ifPresent(log::applySnapshot);
        log.save(rd.hardState().orElse(null), rd.entries(), rd.mustSync());
        apply(rd.committedEntries());
        node.advance();
      }
    }

    private void apply(List<Entry> committed) {
      long applied = store.consistentIndex();
      List<Entry> fresh = committed.stream().filter(e -> e.getIndex() > applied).toList();
      if (fresh.isEmpty()) {
        return;
      }
      try (ApplyBatch b = store.beginApply()) {
        for (Entry e : fresh) {
          try {
            if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
              conf = node.applyConfChange(ConfChange.parseFrom(e.getData()));
              b.setConfState(conf);
            } else if (!e.getData().isEmpty()) {
              b.put(PutRequest.parseFrom(e.getData()));
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
          }
        }
        b.commit(fresh.getLast().getIndex());
      }
    }

    void put(String key, String value) {
      node.propose(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
          .setValue(ByteString.copyFromUtf8(value)).build().toByteArray());
      drain();
    }

    long version(String key) {
      var r = store.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build());
      return r.getKvsCount() == 0 ? 0 : r.getKvs(0).getVersion();
    }

    @Override
    public void close() {
      log.close();
      store.close();
      backend.close();
    }
  }

  @Test
  void theRaftCoreRunsOnTheWalAndRestartsFromIt() {
    try (Member m = new Member()) {
      assertThat(m.node.status().toString()).contains("LEADER");
      for (int i = 0; i < 60; i++) {
        m.put("k" + i % 6, "v" + i);
      }
      assertThat(m.version("k0")).isEqualTo(10);
      long applied = m.store.consistentIndex();
      m.backend.sync();
      m.log.createSnapshot(applied, m.conf, ByteString.EMPTY);
      m.log.compact(applied - 5);
    }
    assertThat(Wal.segments(root.resolve("member/wal")).size()).isLessThanOrEqualTo(3);
    try (Member m = new Member()) {
      assertThat(m.conf.getVotersList()).containsExactly(1L);
      assertThat(m.node.status().toString()).contains("LEADER");
      for (int i = 60; i < 90; i++) {
        m.put("k" + i % 6, "v" + i);
      }
      assertThat(m.version("k0")).isEqualTo(15);
    }
    try (Member m = new Member()) {
      assertThat(m.version("k0")).as("nothing applied twice across restarts").isEqualTo(15);
      assertThat(m.version("k5")).isEqualTo(15);
      assertThat(m.store.currentRevision()).isEqualTo(91);
    }
  }
}
