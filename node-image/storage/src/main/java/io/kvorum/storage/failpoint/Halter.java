package io.kvorum.storage.failpoint;

/** Ends the process for a {@code panic} failpoint; tests substitute one that records the call. */
@FunctionalInterface
public interface Halter {
  /** {@link Runtime#halt(int)}: no shutdown hooks, no finalization, nothing flushed. */
  Halter RUNTIME = status -> Runtime.getRuntime().halt(status);

  void halt(int status);
}
