package io.kvorum.server.version;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The cluster version a data dir last applied, in {@code <data-dir>/member/cluster-version}, so
 * an older binary can refuse to start on data of an upgraded cluster before it touches anything
 * (DESIGN.md, "Start checks"). Example: after a cluster moved to 1.1, a 1.0.x binary on the
 * same data dir stops with both versions and the way back (the snapshot taken before the
 * upgrade).
 */
public final class DataDirVersion {
  private static final String FILE = "cluster-version";

  private DataDirVersion() {}

  public static Optional<Version> read(Path memberDir) {
    Path f = memberDir.resolve(FILE);
    try {
      return Files.exists(f) ? Optional.of(Version.parse(Files.readString(f, StandardCharsets.UTF_8).trim())) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Records {@code clusterVersion}, atomically (write, then rename). */
  public static void write(Path memberDir, String clusterVersion) {
    try {
      Path tmp = memberDir.resolve(FILE + ".tmp");
      Files.writeString(tmp, clusterVersion + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, memberDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** @return null when {@code server} may run on data of {@code recorded}, otherwise why not */
  public static String refusal(Version recorded, Version server) {
    if (server.majorMinor().lessThan(recorded.majorMinor())) {
      return "the data dir belongs to a cluster at version "
          + recorded.major()
          + "."
          + recorded.minor()
          + " but this server is "
          + server
          + ": downgrade is not possible once every member has been upgraded;"
          + " to go back, restore the snapshot taken before the upgrade (kvorum snapshot restore) on every member";
    }
    return null;
  }
}
