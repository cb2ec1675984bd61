package io.kvorum.storage.snap;

/** A snapshot file is damaged, truncated or not a snapshot; nothing was restored from it. */
public final class SnapshotIntegrityException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SnapshotIntegrityException(String message) {
    super(message);
  }
}
