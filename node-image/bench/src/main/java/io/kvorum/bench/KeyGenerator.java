package io.kvorum.bench;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keys of a fixed size drawn from a key space of {@code keySpace} keys: key n is n in decimal,
 * left-padded with '0' to {@code keySize} bytes after an optional prefix, so keys of one workload
 * all have the same length and sort by n.
 *
 * <p>Example: prefix "" and key size 8 give key 42 as {@code "00000042"}; key size 256 gives 254
 * zeros followed by "42". Sequential generators hand out 0, 1, 2, ... wrapping at the key space;
 * random ones draw uniformly.
 */
public final class KeyGenerator {

  private final byte[] prefix;
  private final int keySize;
  private final long keySpace;
  private final boolean sequential;
  private final AtomicLong next = new AtomicLong();

  public KeyGenerator(String prefix, int keySize, long keySpace, boolean sequential) {
    this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
    this.keySize = keySize;
    this.keySpace = keySpace;
    this.sequential = sequential;
    int digits = Long.toString(keySpace - 1).length();
    if (this.prefix.length + digits > keySize) {
      throw new IllegalArgumentException("key size " + keySize + " cannot hold prefix '" + prefix
          + "' and " + keySpace + " distinct keys; use a larger key size or a smaller key space");
    }
  }

  /** The next key; clients may share one generator (sequential keys stay in one sequence). */
  public ByteString next() {
    long n;
    if (sequential) {
      n = Math.floorMod(next.getAndIncrement(), keySpace);
    } else {
      n = ThreadLocalRandom.current().nextLong(keySpace);
    }
    return key(n);
  }

  public ByteString key(long n) {
    if (n < 0 || n >= keySpace) {
      throw new IllegalArgumentException("key " + n + " is outside the key space [0, " + keySpace
          + ")");
    }
    byte[] key = new byte[keySize];
    Arrays.fill(key, (byte) '0');
    System.arraycopy(prefix, 0, key, 0, prefix.length);
    byte[] digits = Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(digits, 0, key, keySize - digits.length, digits.length);
    return ByteString.copyFrom(key);
  }
}
