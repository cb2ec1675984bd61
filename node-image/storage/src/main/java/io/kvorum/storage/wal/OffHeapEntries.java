package io.kvorum.storage.wal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kvorum.raft.pb.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The entries of the in-memory Raft log, serialized in direct memory outside the Java heap; only
 * their positions and terms are on the heap.
 *
 * <p>Why: a member keeps every entry since its last compaction (up to {@code --snapshot-count}
 * of them) for followers that fall behind, seconds to minutes of writes. Kept as {@link Entry}
 * objects, every entry outlived the young collection after it was appended and was copied by
 * it, to a survivor region and later to the old generation. Under 256 clients putting 1 KiB
 * values (G1, 1 GiB heap, three members on two cores) young pauses came every 0.8 s and took
 * 15-40 ms, most of it evacuating the log, and every write they overlapped waited for them. An
 * entry read from here is parsed into a fresh object that dies young.
 *
 * <p>Layout: chunks of {@link #CHUNK_BYTES}, filled in order; entry {@code i} (0 is the oldest)
 * is {@code sizes[i]} bytes at {@code offsets[i]} in chunk {@code chunkOf[i]} (chunk numbers
 * grow for good; {@code chunks.get(0)} is number {@code firstChunk}). An entry larger than a
 * chunk gets a chunk of its own. Example with 4 MiB chunks and 1.3 KiB entries: entries 0..3225
 * fill chunk 0, entry 3226 starts chunk 1; dropping the first 3226 entries releases chunk 0.
 *
 * <p>Released chunks are kept as spares (at most {@link #MAX_SPARES}) and reused for new
 * entries, so a steady write load allocates no direct memory once the log has its size; the
 * others are left to the garbage collector. Direct memory therefore stays near the largest the
 * log has been, which {@code --snapshot-log-bytes} bounds.
 *
 * <p>Not thread-safe: {@link WalStorage}'s lock guards it.
 */
final class OffHeapEntries {
  static final int CHUNK_BYTES = 4 << 20;
  static final int MAX_SPARES = 4;

  private final int chunkBytes;
  private final List<ByteBuffer> chunks = new ArrayList<>();
  private final ArrayDeque<ByteBuffer> spares = new ArrayDeque<>();
  private long firstChunk;
  /** The first free byte of the last chunk. */
  private int writeAt;

  /** Per entry, at [head, head + count) of each array. */
  private long[] terms = new long[1024];
  private long[] chunkOf = new long[1024];
  private int[] offsets = new int[1024];
  private int[] sizes = new int[1024];
  private int head;
  private int count;
  private long bytes;

  OffHeapEntries() {
    this(CHUNK_BYTES);
  }

  /** @param chunkBytes the chunk size; tests use small ones to cross chunk boundaries often */
  OffHeapEntries(int chunkBytes) {
    this.chunkBytes = chunkBytes;
  }

  int size() {
    return count;
  }

  /** Serialized bytes of all entries. */
  long bytes() {
    return bytes;
  }

  long term(int i) {
    return terms[slot(i)];
  }

  int serializedSize(int i) {
    return sizes[slot(i)];
  }

  /** A copy of entry {@code i} on the heap. */
  Entry get(int i) {
    int s = slot(i);
    ByteBuffer view = chunk(chunkOf[s]).duplicate();
    view.limit(offsets[s] + sizes[s]).position(offsets[s]);
    try {
      return Entry.parseFrom(view);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("raft log: entry " + i + " in memory is damaged", e);
    }
  }

  void append(Entry e) {
    int size = e.getSerializedSize();
    if (chunks.isEmpty() || last().capacity() - writeAt < size) {
      startChunk(size);
    }
    ByteBuffer target = last().duplicate();
    target.limit(writeAt + size).position(writeAt);
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(target);
      e.writeTo(out);
      out.flush();
    } catch (IOException ex) {
      throw new IllegalStateException("raft log: cannot serialize entry " + e.getIndex(), ex);
    }
    if (head + count == terms.length) {
      makeRoom();
    }
    int s = head + count;
    terms[s] = e.getTerm();
    chunkOf[s] = firstChunk + chunks.size() - 1;
    offsets[s] = writeAt;
    sizes[s] = size;
    count++;
    writeAt += size;
    bytes += size;
  }

  /** Keeps the first {@code keep} entries and forgets the rest (a conflicting suffix). */
  void truncate(int keep) {
    if (keep < 0 || keep > count) {
      throw new IndexOutOfBoundsException("raft log: cannot keep " + keep + " of " + count + " entries");
    }
    for (int i = keep; i < count; i++) {
      bytes -= sizes[head + i];
    }
    count = keep;
    if (count == 0) {
      releaseAll();
      return;
    }
    int lastKept = head + count - 1;
    long keepThrough = chunkOf[lastKept];
    while (firstChunk + chunks.size() - 1 > keepThrough) {
      release(chunks.removeLast());
    }
    writeAt = offsets[lastKept] + sizes[lastKept];
  }

  /** Forgets the oldest {@code n} entries (a compaction). */
  void dropFirst(int n) {
    if (n < 0 || n > count) {
      throw new IndexOutOfBoundsException("raft log: cannot drop " + n + " of " + count + " entries");
    }
    for (int i = 0; i < n; i++) {
      bytes -= sizes[head + i];
    }
    head += n;
    count -= n;
    if (count == 0) {
      releaseAll();
      return;
    }
    long firstUsed = chunkOf[head];
    while (firstChunk < firstUsed) {
      release(chunks.removeFirst());
      firstChunk++;
    }
  }

  void clear() {
    truncate(0);
  }

  private int slot(int i) {
    if (i < 0 || i >= count) {
      throw new IndexOutOfBoundsException("raft log: entry " + i + " of " + count);
    }
    return head + i;
  }

  private ByteBuffer chunk(long number) {
    return chunks.get((int) (number - firstChunk));
  }

  private ByteBuffer last() {
    return chunks.getLast();
  }

  private void startChunk(int size) {
    ByteBuffer chunk;
    if (size > chunkBytes) {
      chunk = ByteBuffer.allocateDirect(size);
    } else {
      chunk = spares.isEmpty() ? ByteBuffer.allocateDirect(chunkBytes) : spares.pop();
    }
    chunks.add(chunk);
    writeAt = 0;
  }

  private void release(ByteBuffer chunk) {
    if (chunk.capacity() == chunkBytes && spares.size() < MAX_SPARES) {
      spares.push(chunk);
    }
  }

  private void releaseAll() {
    firstChunk += chunks.size();
    while (!chunks.isEmpty()) {
      release(chunks.removeLast());
    }
    writeAt = 0;
    head = 0;
  }

  /** Moves the live entries to the front, or doubles the arrays when they are mostly live. */
  private void makeRoom() {
    int capacity = count * 2 > terms.length ? terms.length * 2 : terms.length;
    terms = shift(terms, capacity);
    chunkOf = shift(chunkOf, capacity);
    offsets = shift(offsets, capacity);
    sizes = shift(sizes, capacity);
    head = 0;
  }

  private long[] shift(long[] a, int capacity) {
    long[] b = capacity == a.length ? a : Arrays.copyOf(a, capacity);
    System.arraycopy(a, head, b, 0, count);
    return b;
  }

  private int[] shift(int[] a, int capacity) {
    int[] b = capacity == a.length ? a : Arrays.copyOf(a, capacity);
    System.arraycopy(a, head, b, 0, count);
    return b;
  }
}
