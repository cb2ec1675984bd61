package io.kvorum.storage.snap;

import io.kvorum.raft.pb.Snapshot;
import io.kvorum.raft.pb.SnapshotMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Raft snapshots in {@code snap/}, as etcd's snapshotter: one file per snapshot named
 * {@code <term>-<index>.snap} (16 hex digits each) holding {@code u32 crc32c(payload)} and the
 * serialized Raft {@code Snapshot} (metadata + the server's data). Written to a temporary file,
 * fsynced, renamed. A file whose checksum fails is renamed {@code .broken} and skipped (an older
 * snapshot plus the WAL still recover the member).
 */
public final class Snapshotter {
  private static final Pattern NAME = Pattern.compile("([0-9a-f]{16})-([0-9a-f]{16})\\.snap");
  private final Path dir;

  public Snapshotter(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  public void save(Snapshot snapshot) {
    SnapshotMetadata m = snapshot.getMetadata();
    String name = String.format("%016x-%016x.snap", m.getTerm(), m.getIndex());
    byte[] payload = snapshot.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(payload);
    ByteBuffer buf = ByteBuffer.allocate(4 + payload.length);
    buf.putInt((int) crc.getValue()).put(payload).flip();
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(name + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("snap: cannot save snapshot " + name + " in " + dir, e);
    }
  }

  /**
   * The newest readable snapshot whose index and term are among {@code valid} (the WAL's
   * snapshot markers), or null if there is none.
   */
  public Snapshot loadNewestValid(Collection<SnapshotMetadata> valid) {
    for (Path f : files()) {
      Snapshot s = read(f);
      if (s == null) {
        continue;
      }
      long idx = s.getMetadata().getIndex();
      long term = s.getMetadata().getTerm();
      for (SnapshotMetadata v : valid) {
        if (v.getIndex() == idx && v.getTerm() == term) {
          return s;
        }
      }
    }
    return null;
  }

  /** Deletes all but the newest {@code keep} snapshot files (etcd's --max-snapshots). */
  public void purge(int keep) {
    List<Path> files = files();
    try {
      for (int i = keep; i < files.size(); i++) {
        Files.deleteIfExists(files.get(i));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("snap: cannot purge old snapshots in " + dir, e);
    }
  }

  /** Snapshot files, newest (highest index) first. */
  List<Path> files() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
          .sorted(Comparator.comparingLong(Snapshotter::indexOf).reversed()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("snap: cannot list " + dir, e);
    }
  }

  private static long indexOf(Path p) {
    Matcher m = NAME.matcher(p.getFileName().toString());
    m.matches();
    return Long.parseUnsignedLong(m.group(2), 16);
  }

  private static Snapshot read(Path f) {
    try {
      byte[] bytes = Files.readAllBytes(f);
      if (bytes.length >= 4) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int stored = b.getInt();
        CRC32C crc = new CRC32C();
        crc.update(bytes, 4, bytes.length - 4);
        if ((int) crc.getValue() == stored) {
          return Snapshot.parseFrom(ByteBuffer.wrap(bytes, 4, bytes.length - 4));
        }
      }
      Files.move(f, f.resolveSibling(f.getFileName() + ".broken"), StandardCopyOption.REPLACE_EXISTING);
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("snap: cannot read " + f, e);
    }
  }
}
