package io.kvorum.operator.member;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Passes a Maintenance.Snapshot stream through unchanged while checking its format: the backend
 * data followed by 32 bytes that are the SHA-256 of that data (etcd's layout, which
 * {@code etcdctl snapshot restore} verifies). The last 32 bytes seen are held back from the
 * digest until more data proves they were not the trailer.
 *
 * <p>Example: a stream {@code D || sha256(D)} verifies; flipping any bit of D or of the trailer
 * makes {@link #verify()} throw.
 */
public final class Sha256TrailerStream extends FilterOutputStream {

  static final int TRAILER = 32;

  private final MessageDigest digest;
  private final byte[] tail = new byte[TRAILER];
  private int tailLength;
  private long count;

  public Sha256TrailerStream(OutputStream out) {
    super(out);
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    count += len;
    int total = tailLength + len;
    int spill = Math.max(0, total - TRAILER);
    // The oldest `spill` bytes of tail+b are certainly data: digest them, keep the newest 32.
    int fromTail = Math.min(spill, tailLength);
    digest.update(tail, 0, fromTail);
    digest.update(b, off, spill - fromTail);
    byte[] merged = new byte[total - spill];
    int keptFromTail = tailLength - fromTail;
    System.arraycopy(tail, fromTail, merged, 0, keptFromTail);
    System.arraycopy(b, off + (spill - fromTail), merged, keptFromTail, merged.length - keptFromTail);
    System.arraycopy(merged, 0, tail, 0, merged.length);
    tailLength = merged.length;
  }

  public long size() {
    return count;
  }

  /** Returns the hex SHA-256 of the data; throws when the stream is short or the trailer differs. */
  public String verify() throws IOException {
    if (tailLength < TRAILER) {
      throw new IOException("snapshot stream too short (" + count + " bytes): no SHA-256 trailer");
    }
    byte[] actual = digest.digest();
    if (!Arrays.equals(actual, tail)) {
      throw new IOException("snapshot SHA-256 mismatch: data hashes to " + HexFormat.of().formatHex(actual)
          + " but the trailer says " + HexFormat.of().formatHex(tail));
    }
    return HexFormat.of().formatHex(actual);
  }
}
