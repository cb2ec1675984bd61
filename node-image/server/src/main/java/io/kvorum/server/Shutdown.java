package io.kvorum.server;

import io.kvorum.server.log.Log;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Closes a member's parts in order, each even when an earlier one failed.
 *
 * <p>A failure while stopping must not keep the process alive: the client port's Vert.x threads
 * are not daemons, so a close that threw out of {@code main} before {@code System.exit} left a
 * JVM that served nothing and never ended (seen once after the data dir was deleted under a
 * stopping leader). Each failure is logged, and the member exits with status 1.
 */
final class Shutdown {
  private static final Log LOG = Log.get(Shutdown.class);

  private final Map<String, AutoCloseable> parts = new LinkedHashMap<>();

  /** Adds {@code part}, closed after the parts added before it. */
  Shutdown then(String name, AutoCloseable part) {
    parts.put(name, part);
    return this;
  }

  /** Closes every part; true if all closed without an error. */
  boolean closeAll() {
    boolean clean = true;
    for (Map.Entry<String, AutoCloseable> p : parts.entrySet()) {
      try {
        p.getValue().close();
      } catch (Exception | LinkageError e) {
        clean = false;
        LOG.error("failed to stop cleanly", "part", p.getKey(), "error", String.valueOf(e));
      }
    }
    return clean;
  }
}
