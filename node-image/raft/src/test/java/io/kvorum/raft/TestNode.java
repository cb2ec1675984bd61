package io.kvorum.raft;

import io.kvorum.raft.pb.ConfChange;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.EntryType;
import io.kvorum.raft.pb.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A member as a test drives it: a {@link RawNode} over a {@link MemoryStorage}, handling every
 * {@link Ready} the way the contract says (persist, collect messages, apply, advance).
 */
final class TestNode {

  final long id;
  final MemoryStorage storage;
  final RawNode node;
  /** Normal and configuration entries applied, in order. */
  final List<Entry> applied = new ArrayList<>();
  final List<ReadState> readStates = new ArrayList<>();
  ConfState confState;

  TestNode(long id, MemoryStorage storage, Consumer<Config.Builder> tweak) {
    this(id, storage, 0, tweak);
  }

  TestNode(long id, MemoryStorage storage, long applied, Consumer<Config.Builder> tweak) {
    this.id = id;
    this.storage = storage;
    Config.Builder b =
        Config.builder(id, storage)
            .electionTick(10)
            .heartbeatTick(1)
            .applied(applied)
            .maxInflightMsgs(256)
            .random(new java.util.Random(id));
    tweak.accept(b);
    this.node = new RawNode(b.build());
    this.confState = storage.initialState().confState();
  }

  Raft raft() {
    return node.raft();
  }

  /** Handles every pending Ready and returns the messages to send, in order. */
  List<Message> drain() {
    List<Message> out = new ArrayList<>();
    for (int guard = 0; node.hasReady(); guard++) {
      if (guard > 10_000) {
        throw new AssertionError("node " + id + " keeps producing Ready");
      }
      Ready rd = node.ready();
      rd.snapshot().ifPresent(storage::applySnapshot);
      storage.append(rd.entries());
      rd.hardState().ifPresent(storage::setHardState);
      out.addAll(rd.messages());
      rd.snapshot()
          .ifPresent(
              s -> {
                confState = s.getMetadata().getConfState();
                applied.clear(); // The state machine is replaced by the snapshot.
              });
      for (Entry e : rd.committedEntries()) {
        if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
          confState = node.applyConfChange(Raft.decodeConfChange(e));
        }
        applied.add(e);
      }
      readStates.addAll(rd.readStates());
      node.advance();
    }
    return out;
  }

  /** The data of applied normal entries with a payload, as strings. */
  List<String> appliedData() {
    List<String> out = new ArrayList<>();
    for (Entry e : applied) {
      if (e.getType() == EntryType.ENTRY_NORMAL && !e.getData().isEmpty()) {
        out.add(e.getData().toStringUtf8());
      }
    }
    return out;
  }

  static ConfChange change(io.kvorum.raft.pb.ConfChangeType type, long nodeId) {
    return ConfChange.newBuilder().setType(type).setNodeId(nodeId).build();
  }
}
