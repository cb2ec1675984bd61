package io.kvorum.raft;

/**
 * The append messages a leader has sent to one follower and not yet seen acknowledged, as a
 * bounded ring of their last indexes. When the ring is full the leader stops sending to that
 * follower until acknowledgements free slots: this is the flow control of the replicate state.
 *
 * <p>Example (capacity 3): add(5), add(8), add(11) fills it; an ack for index 9 frees 5 and 8
 * ({@link #freeLessOrEqual(long)}), leaving [11].
 */
final class Inflights {

  private final long[] buffer;
  private int start;
  private int count;

  Inflights(int capacity) {
    this.buffer = new long[capacity];
  }

  /** Records a sent message whose last entry has {@code index}; indexes must increase. */
  void add(long index) {
    if (full()) {
      throw new IllegalStateException("raft: cannot add index " + index + " to a full inflights");
    }
    buffer[(start + count) % buffer.length] = index;
    count++;
  }

  /** Frees every message whose last index is {@code <= to}: they are acknowledged. */
  void freeLessOrEqual(long to) {
    int freed = 0;
    int idx = start;
    while (freed < count && buffer[idx] <= to) {
      freed++;
      idx = (idx + 1) % buffer.length;
    }
    count -= freed;
    start = count == 0 ? 0 : idx;
  }

  /** Frees one slot: a heartbeat response proves the follower is alive, so let one more through. */
  void freeFirstOne() {
    if (count > 0) {
      freeLessOrEqual(buffer[start]);
    }
  }

  boolean full() {
    return count == buffer.length;
  }

  int count() {
    return count;
  }

  void reset() {
    start = 0;
    count = 0;
  }
}
