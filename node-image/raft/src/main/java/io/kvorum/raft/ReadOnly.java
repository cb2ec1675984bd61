package io.kvorum.raft;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leader's pending ReadIndex requests (Raft thesis §6.4): each remembers the commit index at
 * the time it arrived, and is answered once a majority acknowledged a heartbeat that carried its
 * context, which proves no newer leader existed when the index was taken.
 *
 * <p>Requests are confirmed in arrival order: a heartbeat round that confirms a request also
 * confirms every earlier one, because leadership held at the later moment held at the earlier.
 */
final class ReadOnly {

  /** One request: the message that asked, the commit index it is answered with, the acks. */
  record Pending(Message request, long index, Set<Long> acks) {}

  private final Map<ByteString, Pending> pending = new HashMap<>();
  private final ArrayDeque<ByteString> queue = new ArrayDeque<>();

  /**
   * Queues a request whose context is its first entry's data. A context already pending is
   * ignored (the caller must make contexts unique; a duplicate is answered with the original).
   */
  void addRequest(long index, Message request) {
    ByteString ctx = request.getEntries(0).getData();
    if (pending.containsKey(ctx)) {
      return;
    }
    pending.put(ctx, new Pending(request, index, new HashSet<>()));
    queue.addLast(ctx);
  }

  /** Records that {@code id} acknowledged the heartbeat for {@code ctx}; returns the acks so far. */
  Set<Long> recvAck(long id, ByteString ctx) {
    Pending p = pending.get(ctx);
    if (p == null) {
      return null;
    }
    p.acks().add(id);
    return p.acks();
  }

  /** Removes and returns the requests up to and including the one for {@code ctx}. */
  List<Pending> advance(ByteString ctx) {
    if (!pending.containsKey(ctx)) {
      return List.of();
    }
    List<Pending> done = new ArrayList<>();
    while (!queue.isEmpty()) {
      ByteString head = queue.pollFirst();
      done.add(pending.remove(head));
      if (head.equals(ctx)) {
        break;
      }
    }
    return done;
  }

  /** The context of the newest pending request (heartbeats carry it), or empty. */
  ByteString lastPendingRequestContext() {
    return queue.isEmpty() ? ByteString.EMPTY : queue.peekLast();
  }
}
