package io.kvorum.server.grpc;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.kvorum.server.api.EtcdException;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Turns whatever a member's future failed with into the gRPC status a client sees.
 *
 * <p>An {@link EtcdException} keeps etcd's code and exact message (clients match on both). Any
 * other failure is a kvorum bug or an overload, never an etcd error: it becomes {@code
 * UNAVAILABLE} when retrying can help (timeouts, rejected work, I/O) and {@code INTERNAL}
 * otherwise, with the exception's class and message so the log line and the client agree.
 */
public final class GrpcErrors {
  private GrpcErrors() {}

  public static Status toStatus(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof EtcdException etcd) {
      return etcd.toStatus();
    }
    if (cause instanceof StatusRuntimeException sre) {
      return sre.getStatus();
    }
    if (cause instanceof StatusException se) {
      return se.getStatus();
    }
    if (cause instanceof TimeoutException) {
      return Status.UNAVAILABLE.withDescription("etcdserver: request timed out").withCause(cause);
    }
    if (cause instanceof CancellationException) {
      return Status.CANCELLED.withDescription("context canceled").withCause(cause);
    }
    if (cause instanceof RejectedExecutionException || cause instanceof IOException) {
      return Status.UNAVAILABLE
          .withDescription("kvorum: member cannot serve the request now, retry: " + describe(cause))
          .withCause(cause);
    }
    return Status.INTERNAL
        .withDescription("kvorum: internal error: " + describe(cause))
        .withCause(cause);
  }

  public static StatusRuntimeException toException(Throwable failure) {
    return toStatus(failure).asRuntimeException();
  }

  /** The failure a future really failed with, without the wrappers CompletableFuture adds. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String describe(Throwable t) {
    String message = t.getMessage();
    return message == null ? t.getClass().getName() : t.getClass().getSimpleName() + ": " + message;
  }
}
