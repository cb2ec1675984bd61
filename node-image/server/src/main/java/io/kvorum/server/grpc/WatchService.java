package io.kvorum.server.grpc;

import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdNode;
import java.util.concurrent.Executor;

/**
 * etcd's {@code Watch} service: one gRPC stream carries many watchers.
 *
 * <p>Create, cancel and progress requests go to the member's {@link EtcdNode.WatchStream};
 * whatever the member pushes is forwarded in order on the stream's Vert.x context. As in etcd,
 * a client that half-closes keeps its watchers (it still reads events); the watchers end when
 * the stream is cancelled or the connection is lost.
 */
public final class WatchService extends WatchGrpc.WatchImplBase {
  private final EtcdNode node;

  public WatchService(EtcdNode node) {
    this.node = node;
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
    try {
      return new Session(responses);
    } catch (RuntimeException e) {
      responses.onError(GrpcErrors.toException(e));
      return Ignored.INSTANCE;
    }
  }

  /** Reads what a client sends on a stream that already failed. */
  private enum Ignored implements StreamObserver<WatchRequest> {
    INSTANCE;

    @Override
    public void onNext(WatchRequest request) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  private final class Session implements StreamObserver<WatchRequest> {
    private final Executor context = Replies.streamContext();
    private final StreamObserver<WatchResponse> responses;
    private final EtcdNode.WatchStream watchers;
    // Touched only on the stream's context: requests, answers and the end all go through it.
    private boolean ended;

    Session(StreamObserver<WatchResponse> responses) {
      this.responses = responses;
      this.watchers = node.openWatchStream(this::deliver);
      Replies.onCancel(responses, () -> context.execute(this::end));
    }

    private void deliver(WatchResponse response) {
      context.execute(
          () -> {
            if (!ended) {
              responses.onNext(response);
            }
          });
    }

    @Override
    public void onNext(WatchRequest request) {
      context.execute(() -> handle(request));
    }

    private void handle(WatchRequest request) {
      if (ended) {
        return;
      }
      try {
        switch (request.getRequestUnionCase()) {
          case CREATE_REQUEST -> watchers.create(request.getCreateRequest());
          case CANCEL_REQUEST -> watchers.cancel(request.getCancelRequest().getWatchId());
          case PROGRESS_REQUEST -> watchers.requestProgress();
          case REQUESTUNION_NOT_SET -> {}
        }
      } catch (RuntimeException e) {
        end();
        responses.onError(GrpcErrors.toException(e));
      }
    }

    @Override
    public void onError(Throwable clientGone) {
      context.execute(this::end);
    }

    @Override
    public void onCompleted() {
      // Half-close: etcd keeps sending events until the client cancels the stream.
    }

    private void end() {
      if (!ended) {
        ended = true;
        watchers.close();
      }
    }
  }
}
