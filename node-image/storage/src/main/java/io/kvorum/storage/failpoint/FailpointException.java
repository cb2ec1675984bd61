package io.kvorum.storage.failpoint;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The injected failure of an {@code error} failpoint. An {@link UncheckedIOException}, so the
 * code around a hook treats it like the I/O failure it stands for.
 */
public final class FailpointException extends UncheckedIOException {
  private final String failpoint;

  FailpointException(String failpoint) {
    super(new IOException("failpoint " + failpoint + ": injected error (set by "
        + Failpoints.ENV + ")"));
    this.failpoint = failpoint;
  }

  /** The name of the failpoint that fired, e.g. {@code wal.beforeFsync}. */
  public String failpoint() {
    return failpoint;
  }

  @Override
  public String getMessage() {
    return getCause().getMessage();
  }
}
