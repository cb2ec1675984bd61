package io.kvorum.raft.bench;

import io.kvorum.raft.Config;
import io.kvorum.raft.MemoryStorage;
import io.kvorum.raft.RawNode;
import io.kvorum.raft.Ready;
import io.kvorum.raft.StateRole;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.EntryType;
import io.kvorum.raft.pb.Message;
import java.util.ArrayDeque;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How many proposals per second the Raft core commits: a 3-member cluster in one thread, with
 * instant in-memory delivery and in-memory storage, so it measures the core alone (no disk, no
 * network). Each round proposes a batch on the leader ({@link RawNode#propose(List)}), then
 * delivers messages and handles every Ready until the cluster is quiet. Not a test: run it by hand (command in the module README).
 *
 * <p>Arguments: {@code [batch size, default 256] [payload bytes, default 128] [seconds, default
 * 5]}.
 */
public final class RaftThroughputBenchmark {

  private final RawNode[] nodes = new RawNode[3];
  private final MemoryStorage[] storages = new MemoryStorage[3];
  private final ArrayDeque<Message> wire = new ArrayDeque<>();
  private long leaderApplied;

  private RaftThroughputBenchmark() {
    ConfState cs = ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3).build();
    for (int i = 0; i < 3; i++) {
      storages[i] = new MemoryStorage(cs);
      nodes[i] = new RawNode(Config.builder(i + 1, storages[i])
          .maxSizePerMsg(1024 * 1024)
          .maxInflightMsgs(256)
          .maxCommittedSizePerReady(Long.MAX_VALUE)
          .random(new SplittableRandom(i))
          .build());
    }
  }

  public static void main(String[] args) {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int payload = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    RaftThroughputBenchmark b = new RaftThroughputBenchmark();
    b.nodes[0].campaign();
    b.settle();
    if (b.nodes[0].status().role() != StateRole.LEADER) {
      throw new IllegalStateException("member 1 did not become leader");
    }
    byte[] data = new byte[payload];
    b.run(batch, data, 2); // warm-up
    long start = System.nanoTime();
    long committed = b.run(batch, data, seconds);
    double elapsed = (System.nanoTime() - start) / 1e9;
    System.out.printf("raft core, 3 members, instant delivery, in-memory storage%n");
    System.out.printf("%-12s %-10s %-12s %-12s %s%n", "batch", "payload", "proposals",
        "seconds", "committed/s");
    System.out.printf("%-12d %-10d %-12d %-12.2f %.0f%n", batch, payload, committed, elapsed,
        committed / elapsed);
    System.out.flush();
  }

  /** Proposes batches for {@code seconds}; returns how many proposals the leader applied. */
  private long run(int batch, byte[] data, int seconds) {
    long before = leaderApplied;
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    List<byte[]> proposals = java.util.Collections.nCopies(batch, data);
    while (System.nanoTime() < deadline) {
      nodes[0].propose(proposals);
      settle();
      // Keep the in-memory logs small, as a real server compacts after snapshots.
      for (MemoryStorage s : storages) {
        long applied = s.hardState().getCommit();
        if (applied - s.firstIndex() > 100_000) {
          s.createSnapshot(applied, s.initialState().confState(),
              com.google.protobuf.ByteString.EMPTY);
          s.compact(applied);
        }
      }
    }
    return leaderApplied - before;
  }

  /** Handles Readies and delivers messages until nothing moves. */
  private void settle() {
    boolean busy = true;
    while (busy) {
      busy = false;
      for (int i = 0; i < 3; i++) {
        if (nodes[i].hasReady()) {
          busy = true;
          handle(i, nodes[i].ready());
        }
      }
      while (!wire.isEmpty()) {
        busy = true;
        Message m = wire.poll();
        nodes[(int) m.getTo() - 1].step(m);
      }
    }
  }

  private void handle(int i, Ready rd) {
    MemoryStorage s = storages[i];
    rd.snapshot().ifPresent(s::applySnapshot);
    s.append(rd.entries());
    rd.hardState().ifPresent(s::setHardState);
    wire.addAll(rd.messages());
    List<Entry> committed = rd.committedEntries();
    if (i == 0) {
      for (Entry e : committed) {
        if (e.getType() == EntryType.ENTRY_NORMAL && !e.getData().isEmpty()) {
          leaderApplied++;
        }
      }
    }
    nodes[i].advance();
  }
}
