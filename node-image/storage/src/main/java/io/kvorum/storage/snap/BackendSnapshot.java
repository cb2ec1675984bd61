package io.kvorum.storage.snap;

import io.kvorum.storage.FileTrees;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.failpoint.Failpoints;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A consistent point-in-time copy of the backend as one byte stream: what etcd's
 * {@code Maintenance.Snapshot} streams and {@code etcdctl snapshot save} stores, used for
 * backups, for slow followers and for restore. The copy is a RocksDB checkpoint, so it holds
 * the consistent index (the Raft index it reflects) with the data.
 *
 * <p>Format, all integers big-endian:
 * <pre>
 *   "KVORUM-DB-SNAPSHOT-1\n"
 *   repeated: u16 name length | name (UTF-8, a file of the checkpoint) | u64 size | bytes
 *   u16 0                      (end of files)
 *   32 bytes: SHA-256 of everything above          (etcd's trailer)
 * </pre>
 * {@link #verify(Path)} checks the trailer the way {@code etcdctl snapshot restore} does.
 */
public final class BackendSnapshot {
  private static final byte[] MAGIC = "KVORUM-DB-SNAPSHOT-1\n".getBytes(StandardCharsets.US_ASCII);
  public static final int TRAILER_BYTES = 32;

  private BackendSnapshot() {}

  /**
   * Opens a stream over a consistent copy of {@code backend}: a checkpoint is taken now in a
   * new directory under {@code scratch} (same file system: it hard-links) and deleted when the
   * reader is closed. Writes after this call are not in the stream.
   */
  public static SnapshotReader open(Backend backend, Path scratch) {
    Path cp = scratch.resolve("checkpoint-" + System.nanoTime());
    try {
      Files.createDirectories(scratch);
      backend.checkpoint(cp);
      return new SnapshotReader(cp, MAGIC, filesOf(cp));
    } catch (IOException | RuntimeException e) {
      FileTrees.deleteRecursively(cp);
      if (e instanceof IOException io) {
        throw new UncheckedIOException("snapshot: cannot checkpoint the backend", io);
      }
      throw (RuntimeException) e;
    }
  }

  /**
   * Streams a consistent copy of {@code backend} to {@code out}, followed by the SHA-256
   * trailer (etcdctl snapshot save).
   *
   * @return the number of bytes written, trailer included
   */
  public static long write(Backend backend, Path scratch, OutputStream out) {
    try (SnapshotReader r = open(backend, scratch)) {
      return r.transferTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("snapshot: cannot stream the backend", e);
    }
  }

  /**
   * Checks a snapshot file: format and SHA-256 trailer.
   *
   * @throws SnapshotIntegrityException naming what is wrong
   */
  public static void verify(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      readInto(in, Files.size(file), null, file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("snapshot: cannot read " + file, e);
    }
  }

  /**
   * Verifies {@code file} and unpacks it as the backend database in {@code dbDir}, which must
   * not exist yet. Nothing is left behind if verification fails.
   */
  public static void restore(Path file, Path dbDir) {
    if (Files.exists(dbDir)) {
      throw new IllegalStateException("snapshot: restore target " + dbDir
          + " already exists; move it away first so nothing is overwritten");
    }
    Failpoints.hit(Failpoints.SNAPSHOT_RECEIVE);
    Path tmp = dbDir.resolveSibling(dbDir.getFileName() + ".restoring");
    try (InputStream in = Files.newInputStream(file)) {
      FileTrees.deleteRecursively(tmp);
      Files.createDirectories(tmp);
      readInto(in, Files.size(file), tmp, file.toString());
      Files.move(tmp, dbDir);
    } catch (IOException e) {
      throw new UncheckedIOException("snapshot: cannot restore " + file + " into " + dbDir, e);
    } finally {
      FileTrees.deleteRecursively(tmp);
    }
  }

  private static void readInto(InputStream raw, long size, Path target, String what)
      throws IOException {
    if (size < MAGIC.length + 2 + TRAILER_BYTES) {
      throw new SnapshotIntegrityException("snapshot " + what + " is too short (" + size
          + " bytes) to be a kvorum snapshot");
    }
    MessageDigest sha = sha256();
    LimitedInputStream body = new LimitedInputStream(raw, size - TRAILER_BYTES);
    DataInputStream in = new DataInputStream(new java.security.DigestInputStream(body, sha));
    try {
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new SnapshotIntegrityException("snapshot " + what + " is not a kvorum snapshot");
      }
      int nameLen;
      while ((nameLen = in.readUnsignedShort()) != 0) {
        String name = new String(in.readNBytes(nameLen), StandardCharsets.UTF_8);
        if (name.contains("/") || name.contains("..")) {
          throw new SnapshotIntegrityException("snapshot " + what + " names a bad file " + name);
        }
        long len = in.readLong();
        if (len < 0 || len > size) {
          throw new SnapshotIntegrityException("snapshot " + what + " has a bad length for " + name);
        }
        if (target == null) {
          copy(in, OutputStream.nullOutputStream(), len); // read, not skip: the digest must see it
        } else {
          try (OutputStream o = Files.newOutputStream(target.resolve(name))) {
            copy(in, o, len);
          }
        }
      }
    } catch (EOFException e) {
      throw new SnapshotIntegrityException("snapshot " + what + " is truncated");
    }
    in.transferTo(OutputStream.nullOutputStream());
    byte[] trailer = raw.readNBytes(TRAILER_BYTES);
    if (!Arrays.equals(trailer, sha.digest())) {
      throw new SnapshotIntegrityException("snapshot " + what
          + " fails its SHA-256 check: the file is damaged or incomplete");
    }
  }

  private static void copy(InputStream in, OutputStream out, long len) throws IOException {
    byte[] buf = new byte[64 * 1024];
    while (len > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, len));
      if (n < 0) {
        throw new EOFException();
      }
      out.write(buf, 0, n);
      len -= n;
    }
  }

  private static List<Path> filesOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class LimitedInputStream extends java.io.FilterInputStream {
    private long left;

    LimitedInputStream(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
