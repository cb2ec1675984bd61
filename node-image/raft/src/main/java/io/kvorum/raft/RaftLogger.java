package io.kvorum.raft;

/**
 * Where the core reports what it does: elections, leader changes, membership, snapshots. The core
 * formats a message only when {@link #isEnabled(Level)} says it will be used, so a disabled level
 * costs nothing on the hot path.
 */
public interface RaftLogger {

  /** Severity of a log line. */
  enum Level {
    DEBUG,
    INFO,
    WARN
  }

  /** A logger that drops everything. */
  RaftLogger NONE =
      new RaftLogger() {
        @Override
        public boolean isEnabled(Level level) {
          return false;
        }

        @Override
        public void log(Level level, String message) {}
      };

  boolean isEnabled(Level level);

  void log(Level level, String message);
}
