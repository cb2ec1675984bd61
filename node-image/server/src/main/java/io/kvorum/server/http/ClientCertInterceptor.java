package io.kvorum.server.http;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.kvorum.server.api.ClientIdentity;
import java.util.Optional;

/**
 * Puts the verified client certificate's Common Name into each gRPC call's {@link Context}
 * ({@link ClientIdentity#COMMON_NAME}); calls over plaintext or without a client certificate
 * carry none.
 */
final class ClientCertInterceptor implements ServerInterceptor {
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Optional<String> cn = ClientIdentity.commonName(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (cn.isEmpty()) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(ClientIdentity.COMMON_NAME, cn.get()), call, headers, next);
  }
}
