package io.kvorum.storage.snap;

import io.kvorum.storage.FileTrees;
import io.kvorum.storage.failpoint.FailpointException;
import io.kvorum.storage.failpoint.Failpoints;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;

/**
 * A backend snapshot as a stream, in {@link BackendSnapshot}'s format, SHA-256 trailer last:
 * what the server sends as Maintenance.Snapshot chunks ({@link #remainingBytes()} is the
 * response's {@code remaining_bytes}). Reads a checkpoint directory that it deletes on
 * {@link #close()}.
 */
public final class SnapshotReader extends InputStream {
  private final Path checkpoint;
  private final long totalBytes;
  private final MessageDigest sha;
  private final Deque<Supplier<InputStream>> parts = new ArrayDeque<>();
  private InputStream current = InputStream.nullInputStream();
  private boolean inTrailer;
  private long read;

  SnapshotReader(Path checkpoint, byte[] magic, List<Path> files) throws IOException {
    this.checkpoint = checkpoint;
    try {
      this.sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long total = magic.length;
    parts.add(() -> new ByteArrayInputStream(magic));
    for (Path f : files) {
      byte[] name = f.getFileName().toString().getBytes(StandardCharsets.UTF_8);
      long size = Files.size(f);
      ByteArrayOutputStream header = new ByteArrayOutputStream();
      DataOutputStream h = new DataOutputStream(header);
      h.writeShort(name.length);
      h.write(name);
      h.writeLong(size);
      byte[] headerBytes = header.toByteArray();
      parts.add(() -> new ByteArrayInputStream(headerBytes));
      parts.add(() -> {
        try {
          return Files.newInputStream(f);
        } catch (IOException e) {
          throw new UncheckedIOException("snapshot: cannot read checkpoint file " + f, e);
        }
      });
      total += headerBytes.length + size;
    }
    parts.add(() -> new ByteArrayInputStream(new byte[2])); // u16 0: end of files
    this.totalBytes = total + 2 + BackendSnapshot.TRAILER_BYTES;
  }

  /** The stream's full length, trailer included. */
  public long totalBytes() {
    return totalBytes;
  }

  /** Bytes not read yet. */
  public long remainingBytes() {
    return totalBytes - read;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    try {
      Failpoints.hit(Failpoints.SNAPSHOT_SEND);
    } catch (FailpointException e) {
      throw e.getCause(); // a stream's reader expects its failures as IOException
    }
    while (true) {
      int n = current.read(b, off, len);
      if (n > 0) {
        if (!inTrailer) {
          sha.update(b, off, n);
        }
        read += n;
        return n;
      }
      current.close();
      if (!parts.isEmpty()) {
        current = parts.poll().get();
      } else if (!inTrailer) {
        inTrailer = true;
        current = new ByteArrayInputStream(sha.digest());
      } else {
        return -1;
      }
    }
  }

  @Override
  public void close() throws IOException {
    current.close();
    FileTrees.deleteRecursively(checkpoint);
  }
}
