package io.kvorum.server.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Completes gRPC calls from a member's futures.
 *
 * <p>A member completes its futures on its own threads (the Raft apply loop, a read-index
 * waiter). On the Vert.x HTTP server (TLS ports) streams may only be written from the context
 * that owns the connection, so every answer hops back there first. On grpc-java's server
 * (plaintext ports) and in unit tests that call a service directly, a unary answer is sent on the
 * completing thread, and a stream's writes are kept one at a time by a {@link SerialExecutor}.
 */
public final class Replies {
  private Replies() {}

  /** Runs tasks on the caller's Vert.x context, in submission order; outside Vert.x at once. */
  public static Executor callerContext() {
    Context context = Vertx.currentContext();
    if (context == null) {
      return Runnable::run;
    }
    return task -> context.runOnContext(ignored -> task.run());
  }

  /**
   * For a stream (watch, lease keep-alive): runs its tasks in submission order, one at a time:
   * on the caller's Vert.x context, or outside Vert.x on the submitting threads in turn. Every
   * task that reads the stream's state or writes to it goes through here, the client's requests
   * too.
   */
  public static Executor streamContext() {
    return Vertx.currentContext() == null ? new SerialExecutor() : callerContext();
  }

  /**
   * Runs {@code onCancel} on the call's context when the client cancels the stream {@code
   * responses} answers (it gave up, or its connection is gone). Setting a handler also makes a
   * write that races with the cancellation a no-op instead of an exception that Vert.x would log
   * as an error for every stream a client closes. Call it before the service method returns.
   */
  public static void onCancel(StreamObserver<?> responses, Runnable onCancel) {
    if (responses instanceof ServerCallStreamObserver<?> call) {
      call.setOnCancelHandler(onCancel);
    }
  }

  /**
   * Sends the answer of {@code call} (or its failure as a gRPC status) to {@code observer}.
   * Exceptions thrown while starting the call (bad request, member closed) are reported the
   * same way, so a service method never throws into the transport.
   */
  public static <T> void unary(Supplier<CompletableFuture<T>> call, StreamObserver<T> observer) {
    Executor executor = callerContext();
    CompletableFuture<T> future;
    try {
      future = call.get();
    } catch (RuntimeException e) {
      observer.onError(GrpcErrors.toException(e));
      return;
    }
    future.whenCompleteAsync(
        (response, failure) -> {
          if (failure != null) {
            observer.onError(GrpcErrors.toException(failure));
          } else {
            observer.onNext(response);
            observer.onCompleted();
          }
        },
        executor);
  }
}
