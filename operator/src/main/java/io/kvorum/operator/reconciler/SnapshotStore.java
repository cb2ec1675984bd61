package io.kvorum.operator.reconciler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Layout of the operator's backup volume:
 * <pre>
 * &lt;backupDir&gt;/&lt;namespace&gt;/&lt;cluster&gt;/&lt;cluster&gt;-&lt;yyyyMMddTHHmmssZ&gt;.db   (etcd snapshot format, SHA-256 trailer)
 * </pre>
 * Names sort by time, so pruning keeps the newest {@code retain} files.
 */
public final class SnapshotStore {

  private static final Logger LOG = Logger.getLogger(SnapshotStore.class);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Path root;

  public SnapshotStore(Path root) {
    this.root = root;
  }

  public Path pathFor(String namespace, String cluster, Instant at) {
    return root.resolve(namespace).resolve(cluster).resolve(cluster + "-" + STAMP.format(at) + ".db");
  }

  /** The name recorded in status: relative to the backup root. */
  public String relativeName(Path file) {
    return root.relativize(file).toString();
  }

  /** Deletes all but the newest {@code retain} snapshots of a cluster. */
  public void prune(String namespace, String cluster, int retain) {
    Path dir = root.resolve(namespace).resolve(cluster);
    if (!Files.isDirectory(dir)) return;
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> old = files.filter(p -> p.getFileName().toString().endsWith(".db"))
          .sorted(Comparator.comparing(Path::getFileName).reversed())
          .skip(retain).toList();
      for (Path p : old) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.warnf("could not prune snapshots in %s: %s", dir, e.getMessage());
    }
  }
}
