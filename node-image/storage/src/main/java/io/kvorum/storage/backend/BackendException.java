package io.kvorum.storage.backend;

/** The backend database failed; the member cannot go on safely and must stop. */
public final class BackendException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }
}
