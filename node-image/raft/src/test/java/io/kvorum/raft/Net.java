package io.kvorum.raft;

import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * An instant, lossless network for unit tests: every message is delivered in send order until
 * the cluster is quiet, except those a test cuts (by link, by member or by predicate).
 */
final class Net {

  final Map<Long, TestNode> nodes = new TreeMap<>();
  private final Set<List<Long>> cutLinks = new HashSet<>();
  private final List<Predicate<Message>> dropIf = new ArrayList<>();
  /** Every message that went through the network, delivered or not. */
  final List<Message> sent = new ArrayList<>();

  /** Members 1..n, all voters, each starting from the same configuration. */
  static Net of(int n) {
    return of(n, b -> {});
  }

  static Net of(int n, Consumer<Config.Builder> tweak) {
    List<Long> ids = new ArrayList<>();
    for (long i = 1; i <= n; i++) {
      ids.add(i);
    }
    ConfState cs = ConfState.newBuilder().addAllVoters(ids).build();
    Net net = new Net();
    for (long id : ids) {
      net.nodes.put(id, new TestNode(id, new MemoryStorage(cs), tweak));
    }
    return net;
  }

  TestNode node(long id) {
    return nodes.get(id);
  }

  Raft raft(long id) {
    return nodes.get(id).raft();
  }

  /** Delivers everything pending until no member has anything more to say. */
  void flush() {
    ArrayDeque<Message> queue = new ArrayDeque<>();
    for (TestNode n : nodes.values()) {
      queue.addAll(n.drain());
    }
    for (int delivered = 0; !queue.isEmpty(); delivered++) {
      if (delivered > 1_000_000) {
        throw new AssertionError("network never became quiet");
      }
      Message m = queue.pollFirst();
      sent.add(m);
      if (isDropped(m)) {
        continue;
      }
      TestNode to = nodes.get(m.getTo());
      if (to == null) {
        continue;
      }
      try {
        to.node.step(m);
      } catch (ProposalDroppedException e) {
        // A forwarded proposal a transferring leader could not take: a test that wants it proposes again.
      }
      queue.addAll(to.drain());
      for (TestNode n : nodes.values()) {
        if (n != to) {
          queue.addAll(n.drain());
        }
      }
    }
  }

  private boolean isDropped(Message m) {
    if (cutLinks.contains(List.of(m.getFrom(), m.getTo()))) {
      return true;
    }
    for (Predicate<Message> p : dropIf) {
      if (p.test(m)) {
        return true;
      }
    }
    return false;
  }

  void campaign(long id) {
    nodes.get(id).node.campaign();
    flush();
  }

  /** Elects {@code id} and lets the first entry of its term commit everywhere reachable. */
  void elect(long id) {
    campaign(id);
    if (raft(id).state != StateRole.LEADER) {
      throw new AssertionError(id + " did not win the election: " + raft(id).state);
    }
  }

  void propose(long id, String data) {
    nodes.get(id).node.propose(data.getBytes(StandardCharsets.UTF_8));
    flush();
  }

  void tick(long id, int times) {
    for (int i = 0; i < times; i++) {
      nodes.get(id).node.tick();
      flush();
    }
  }

  void tickAll(int times) {
    for (int i = 0; i < times; i++) {
      for (TestNode n : nodes.values()) {
        n.node.tick();
      }
      flush();
    }
  }

  /** Cuts both directions between a and b. */
  void cut(long a, long b) {
    cutLinks.add(List.of(a, b));
    cutLinks.add(List.of(b, a));
  }

  /** Cuts {@code id} off from every other member. */
  void isolate(long id) {
    for (long other : nodes.keySet()) {
      if (other != id) {
        cut(id, other);
      }
    }
  }

  void drop(Predicate<Message> p) {
    dropIf.add(p);
  }

  void dropType(MessageType t) {
    drop(m -> m.getType() == t);
  }

  void heal() {
    cutLinks.clear();
    dropIf.clear();
  }

  long leaderId() {
    long leader = 0;
    for (TestNode n : nodes.values()) {
      if (n.raft().state == StateRole.LEADER) {
        leader = n.id;
      }
    }
    return leader;
  }
}
