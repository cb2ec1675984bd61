package io.kvorum.storage;

import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.wal.Wal;
import java.nio.file.Path;

/**
 * A member's data directory, laid out as etcd's:
 * <pre>
 *   &lt;data-dir&gt;/member/wal/   Raft WAL segments
 *   &lt;data-dir&gt;/member/snap/  Raft snapshot files
 *   &lt;data-dir&gt;/member/db/    the RocksDB backend (keys, leases, consistent index)
 * </pre>
 */
public record DataDir(Path root) {

  public Path memberDir() {
    return root.resolve("member");
  }

  public Path walDir() {
    return memberDir().resolve("wal");
  }

  public Path snapDir() {
    return memberDir().resolve("snap");
  }

  public Path dbDir() {
    return memberDir().resolve("db");
  }

  /** Whether the member has state from an earlier run (a WAL). */
  public boolean hasWal() {
    return Wal.exists(walDir());
  }

  /**
   * etcd's protective start check: a WAL without its backend means every applied write would
   * be lost (the WAL is released up to the last snapshot, so it cannot rebuild the data), so
   * the member refuses to start.
   *
   * @throws DataDirException when the WAL exists and the backend does not
   */
  public void checkStartable() {
    if (hasWal() && !Backend.exists(dbDir())) {
      throw new DataDirException("data dir " + root + " has a WAL (" + walDir()
          + ") but its backend database " + dbDir() + " is missing: starting would lose the"
          + " applied data. Restore the backend from a snapshot (kvorum snapshot restore), or"
          + " remove the whole data dir and add this member back to the cluster as a new one");
    }
  }

  /** The data directory cannot be used as it is; the message says why and what to do. */
  public static final class DataDirException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataDirException(String message) {
      super(message);
    }
  }
}
