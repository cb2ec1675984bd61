package io.kvorum.server.etcd;

import io.kvorum.storage.snap.BackendSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Makes a backend snapshot acceptable to {@code etcdctl snapshot save}, which checks the
 * SHA-256 trailer only when the bytes before it are a whole number of 512-byte pages (a bbolt
 * file always is) and otherwise fails with "sha256 checksum not found".
 *
 * <p>The body is padded with zero bytes to the next multiple of 512 and the trailer recomputed
 * over body + padding. Kvorum's own reader ({@link BackendSnapshot#verify}) digests whatever
 * follows the end-of-files marker, so the padded file verifies the same. Example: a 31,487-byte
 * snapshot (31,455 body + 32 trailer) becomes 31,744 body + 32 trailer.
 */
final class SnapshotPadding {
  static final int PAGE = 512;

  private SnapshotPadding() {}

  static void padTo512(Path file) throws IOException {
    long size = Files.size(file);
    long body = size - BackendSnapshot.TRAILER_BYTES;
    long padded = (body + PAGE - 1) / PAGE * PAGE;
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(body);
      raf.seek(body);
      raf.write(new byte[(int) (padded - body)]);
      MessageDigest sha = sha256();
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      raf.seek(padded);
      raf.write(sha.digest());
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
