package io.kvorum.storage.mvcc;

import java.nio.ByteBuffer;

/**
 * A point in the store's history, as in etcd: {@code main} is the revision of a write
 * transaction (one per put, delete or txn that changes something), {@code sub} numbers the
 * changes inside it (0, 1, 2 ...).
 *
 * <p>Backend key encoding (etcd's {@code revToBytes}): 8 bytes big-endian {@code main}, the byte
 * {@code '_'}, 8 bytes big-endian {@code sub}; a deletion (tombstone) appends {@code 't'}. The
 * big-endian layout makes the backend's byte order the revision order, e.g. {@code (5, 1)} is
 * {@code 00..05 5f 00..01}, and a tombstone for it {@code 00..05 5f 00..01 74}.
 */
public record Revision(long main, long sub) implements Comparable<Revision> {
  public static final int BYTES = 17;
  public static final int MARKED_BYTES = 18;
  private static final byte TOMBSTONE_MARK = 't';

  @Override
  public int compareTo(Revision o) {
    int c = Long.compare(main, o.main);
    return c != 0 ? c : Long.compare(sub, o.sub);
  }

  public byte[] toBytes() {
    return ByteBuffer.allocate(BYTES).putLong(main).put((byte) '_').putLong(sub).array();
  }

  public byte[] toTombstoneBytes() {
    return ByteBuffer.allocate(MARKED_BYTES)
        .putLong(main).put((byte) '_').putLong(sub).put(TOMBSTONE_MARK).array();
  }

  /** Decodes a backend key (with or without the tombstone mark). */
  public static Revision fromBytes(byte[] key) {
    if (key.length != BYTES && key.length != MARKED_BYTES) {
      throw new IllegalArgumentException("not a revision key: " + key.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(key);
    long main = b.getLong();
    b.get();
    return new Revision(main, b.getLong());
  }

  public static boolean isTombstone(byte[] key) {
    return key.length == MARKED_BYTES && key[BYTES] == TOMBSTONE_MARK;
  }

  @Override
  public String toString() {
    return main + "_" + sub;
  }
}
