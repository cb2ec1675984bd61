package io.kvorum.server.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Completes gRPC calls from a member's futures on the Vert.x context that received the call.
 *
 * <p>A member completes its futures on its own threads (the Raft apply loop, a read-index
 * waiter). Vert.x streams may only be written from the context that owns the connection, so
 * every answer hops back there first. Outside Vert.x (a unit test calling a service directly)
 * answers are delivered on the completing thread.
 */
public final class Replies {
  private Replies() {}

  /** Runs tasks on the caller's Vert.x context, in submission order. */
  public static Executor callerContext() {
    Context context = Vertx.currentContext();
    if (context == null) {
      return Runnable::run;
    }
    return task -> context.runOnContext(ignored -> task.run());
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
