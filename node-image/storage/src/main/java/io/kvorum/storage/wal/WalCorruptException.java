package io.kvorum.storage.wal;

import java.nio.file.Path;

/**
 * The WAL holds a record that is damaged somewhere other than its torn tail. The member must not
 * start from it: skipping the record could drop acknowledged writes. Recover by restoring the
 * member from a snapshot, or remove it and add it back to the cluster so it catches up.
 */
public final class WalCorruptException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Path file;
  private final long offset;

  public WalCorruptException(Path file, long offset, String reason) {
    super("wal: corrupt record in " + file + " at offset " + offset + ": " + reason
        + "; refusing to start from a damaged log (restore this member from a snapshot, or"
        + " remove it and add it back to the cluster)");
    this.file = file;
    this.offset = offset;
  }

  public WalCorruptException(String message) {
    super(message);
    this.file = null;
    this.offset = -1;
  }

  /** The damaged segment, or null when the damage is not in one record. */
  public Path file() {
    return file;
  }

  /** Byte offset of the damaged record in {@link #file()}, or -1. */
  public long offset() {
    return offset;
  }
}
