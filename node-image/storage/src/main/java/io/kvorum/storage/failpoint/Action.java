package io.kvorum.storage.failpoint;

/** What an enabled failpoint does when it is hit. */
sealed interface Action {

  /** Blocks the hitting thread: a slow disk or a slow peer. */
  record Sleep(long millis) implements Action {}

  /** Halts the process at once, no shutdown hooks, no flushing: a crash at that boundary. */
  record Panic() implements Action {}

  /** Fails the step with a {@link FailpointException}, as a failed write or fsync would. */
  record Error() implements Action {}
}
