package io.kvorum.server.grpc;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.grpc.proto.ServingGrpc;
import java.time.Duration;

/** Kvorum's {@code kvorum.v1.Serving} service: taking a member out of service before it leaves. */
public final class ServingService extends ServingGrpc.ServingImplBase {
  private final EtcdNode node;

  public ServingService(EtcdNode node) {
    this.node = node;
  }

  @Override
  public void drain(com.google.protobuf.Duration request, StreamObserver<Empty> observer) {
    Replies.unary(
        () -> node.drain(Duration.ofSeconds(request.getSeconds(), request.getNanos()))
            .thenApply(ignored -> Empty.getDefaultInstance()),
        observer);
  }
}
