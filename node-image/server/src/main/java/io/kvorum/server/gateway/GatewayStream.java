package io.kvorum.server.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.kvorum.server.grpc.GrpcErrors;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * The response side of a streaming gateway call: each message becomes one line {@code
 * {"result":{...}}}, as grpc-gateway writes server streams, and HTTP write-queue back-pressure
 * is reported to the service as gRPC readiness (so a snapshot is not buffered whole in memory).
 *
 * <p>All methods run on the request's Vert.x context.
 */
final class GatewayStream<T extends Message> extends ServerCallStreamObserver<T> {
  private final HttpServerResponse response;
  private final JsonFormat.Printer printer;
  private Runnable onCancel = () -> {};
  private boolean cancelled;
  private boolean ended;

  GatewayStream(HttpServerResponse response, JsonFormat.Printer printer) {
    this.response = response;
    this.printer = printer;
    response
        .setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .closeHandler(
            ignored -> {
              if (!ended) {
                cancelled = true;
                ended = true;
                onCancel.run();
              }
            });
    // Headers go out now: a watch may not produce its first line for a long time, and a
    // client waits for the status line before it reads any.
    response.writeHead();
  }

  @Override
  public void onNext(T message) {
    if (ended) {
      return;
    }
    try {
      response.write("{\"result\":" + printer.print(message) + "}\n");
    } catch (InvalidProtocolBufferException e) {
      onError(Status.INTERNAL.withDescription("kvorum: cannot print the answer as JSON: "
          + e.getMessage()).asRuntimeException());
    }
  }

  @Override
  public void onError(Throwable failure) {
    if (ended) {
      return;
    }
    ended = true;
    response.end(GatewayErrors.streamLine(GrpcErrors.toStatus(failure)));
  }

  @Override
  public void onCompleted() {
    if (!ended) {
      ended = true;
      response.end();
    }
  }

  @Override
  public boolean isReady() {
    return !ended && !response.writeQueueFull();
  }

  @Override
  public void setOnReadyHandler(Runnable onReady) {
    response.drainHandler(ignored -> onReady.run());
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void setOnCancelHandler(Runnable onCancel) {
    this.onCancel = onCancel;
  }

  @Override
  public void setCompression(String compression) {}

  @Override
  public void setMessageCompression(boolean enable) {}

  @Override
  public void request(int count) {}

  @Override
  public void disableAutoInboundFlowControl() {}
}
