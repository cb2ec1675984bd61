package io.kvorum.robustness.fuzz;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * The first thing a fuzzed stream says: its first response, its error, or its end. Whether an
 * end without a response counts as an answer depends on the stream: a watch may close quietly,
 * a peer stream must answer its handshake first.
 */
final class FirstAnswer<T> implements StreamObserver<T> {
  final CompletableFuture<T> future = new CompletableFuture<>();
  private final boolean endIsAnAnswer;

  private FirstAnswer(boolean endIsAnAnswer) {
    this.endIsAnAnswer = endIsAnAnswer;
  }

  /** An end of stream completes the answer with null. */
  static <T> FirstAnswer<T> endMayAnswer() {
    return new FirstAnswer<>(true);
  }

  /** An end of stream before any response is a failure. */
  static <T> FirstAnswer<T> responseRequired() {
    return new FirstAnswer<>(false);
  }

  @Override
  public void onNext(T value) {
    future.complete(value);
  }

  @Override
  public void onError(Throwable t) {
    future.completeExceptionally(t);
  }

  @Override
  public void onCompleted() {
    if (endIsAnAnswer) {
      future.complete(null);
    } else {
      future.completeExceptionally(new IllegalStateException("stream ended without an answer"));
    }
  }
}
