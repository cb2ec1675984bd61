package io.kvorum.storage;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.Comparator;

/**
 * The order of etcd's keys: unsigned bytes, compared lexicographically, a prefix before the
 * longer key (Go's {@code bytes.Compare}). A txn's value compare uses the same order.
 *
 * <p>Why not protobuf's {@code ByteString.unsignedLexicographicalComparator()}: it walks both
 * strings one byte at a time through iterators. Keys in a key space tend to share long prefixes
 * (a benchmark's 256-byte keys share about 250 bytes, Kubernetes keys share
 * {@code /registry/<resource>/<namespace>/}), and every lookup in the key index compares the key
 * some 17 times against a tree of 100,000 keys. This one finds the first differing byte with
 * {@link ByteBuffer#mismatch}, which the JDK compares many bytes at a time.
 *
 * <p>Example: {@code "a" < "ab" < "b"}, and {@code 0x7f < 0x80} (0x80 is not negative here).
 */
public final class KeyOrder {
  /** The comparator, for sorted maps and sets of keys. */
  public static final Comparator<ByteString> UNSIGNED = KeyOrder::compare;

  private KeyOrder() {}

  /** Negative, zero or positive as {@code a} sorts before, with or after {@code b}. */
  public static int compare(ByteString a, ByteString b) {
    ByteBuffer x = a.asReadOnlyByteBuffer();
    ByteBuffer y = b.asReadOnlyByteBuffer();
    int at = x.mismatch(y);
    if (at < 0) {
      return 0;
    }
    if (at == x.remaining() || at == y.remaining()) {
      return Integer.compare(x.remaining(), y.remaining());
    }
    return Integer.compare(Byte.toUnsignedInt(x.get(x.position() + at)), Byte.toUnsignedInt(y.get(y.position() + at)));
  }
}
