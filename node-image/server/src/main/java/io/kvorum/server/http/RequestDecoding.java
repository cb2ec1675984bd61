package io.kvorum.server.http;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Answers requests that cannot be decoded with a status that says why, as etcd's grpc-go does,
 * instead of what the Vert.x bridge does on its own.
 *
 * <p>The bridge decodes a request on the event loop with the method's request marshaller. When
 * that throws, the exception is logged as unhandled and the message dropped; a unary call then
 * half-closes without a request and the client gets {@code INTERNAL "Half-closed without a
 * request"}. So every method's marshaller is wrapped to return an {@link Undecodable} marker in
 * place of the message, and a listener in front of the service closes the call with the
 * marker's status and hides the rest of the call from the service:
 *
 * <ul>
 *   <li>bytes that are not the message (say {@code 0a ff ff ff ff 07 6b} as a {@code
 *       KV/Range}): {@code INVALID_ARGUMENT "grpc: error unmarshalling request: ..."};
 *   <li>a message over {@code maxMessageBytes}: {@code RESOURCE_EXHAUSTED "grpc: received
 *       message larger than max (N vs. M)"}. The transport reads messages up to a larger limit
 *       (see {@link ClientPortOptions#transportMessageBytes()}) so that this check sees them.
 * </ul>
 *
 * <p>The marker passes through the bridge as the request type only because generics are erased
 * there; nothing between the decoder and {@link #guard} looks at the message.
 */
final class RequestDecoding {
  private RequestDecoding() {
  }

  /** Why a request could not be decoded, carried to the call in place of the message. */
  record Undecodable(Status status) {
  }

  /** {@code definition} with every method's requests decoded as described above. */
  static ServerServiceDefinition guard(ServerServiceDefinition definition, long maxMessageBytes) {
    ServiceDescriptor service = definition.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods =
        definition.getMethods().stream().<ServerMethodDefinition<?, ?>>map(m -> guard(m, maxMessageBytes)).toList();
    // the bridge reads the proto descriptors (for JSON and reflection): keep the service's
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(service.getName()).setSchemaDescriptor(service.getSchemaDescriptor());
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(builder::addMethod);
    return builder.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> guard(ServerMethodDefinition<Q, R> method, long maxMessageBytes) {
    MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
    MethodDescriptor<Q, R> lenient =
        descriptor.toBuilder()
            .setRequestMarshaller(new LenientMarshaller<>(descriptor.getRequestMarshaller(), maxMessageBytes))
            .build();
    ServerCallHandler<Q, R> service = method.getServerCallHandler();
    return ServerMethodDefinition.create(lenient, (call, headers) -> new Guard<>(call, service.startCall(call, headers)));
  }

  /** Decodes with the method's marshaller; a failure becomes an {@link Undecodable}. */
  static final class LenientMarshaller<T> implements MethodDescriptor.PrototypeMarshaller<T> {
    private final MethodDescriptor.Marshaller<T> marshaller;
    private final long maxMessageBytes;

    LenientMarshaller(MethodDescriptor.Marshaller<T> marshaller, long maxMessageBytes) {
      this.marshaller = marshaller;
      this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public InputStream stream(T value) {
      return marshaller.stream(value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T parse(InputStream stream) {
      try {
        int size = stream.available();
        if (size > maxMessageBytes) {
          return (T) new Undecodable(Status.RESOURCE_EXHAUSTED.withDescription(
              "grpc: received message larger than max (" + size + " vs. " + maxMessageBytes + ")"));
        }
        return marshaller.parse(stream);
      } catch (IOException | RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return (T) new Undecodable(Status.INVALID_ARGUMENT.withDescription(
            "grpc: error unmarshalling request: " + cause.getMessage()));
      }
    }

    @Override
    public T getMessagePrototype() {
      return ((MethodDescriptor.PrototypeMarshaller<T>) marshaller).getMessagePrototype();
    }

    @Override
    @SuppressWarnings("unchecked")
    public Class<T> getMessageClass() {
      return ((MethodDescriptor.PrototypeMarshaller<T>) marshaller).getMessageClass();
    }
  }

  /** Closes the call at the first undecodable message; the service sees nothing after it. */
  private static final class Guard<Q, R> extends ForwardingServerCallListener<Q> {
    private static final ServerCall.Listener<Object> NOTHING = new ServerCall.Listener<>() {};

    private final ServerCall<Q, R> call;
    private ServerCall.Listener<Q> target;

    Guard(ServerCall<Q, R> call, ServerCall.Listener<Q> service) {
      this.call = call;
      this.target = service;
    }

    @Override
    protected ServerCall.Listener<Q> delegate() {
      return target;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onMessage(Q message) {
      if (message instanceof Undecodable undecodable) {
        call.close(undecodable.status(), new Metadata());
        target.onCancel(); // a stream's service releases what it holds for the call
        target = (ServerCall.Listener<Q>) NOTHING;
        return;
      }
      target.onMessage(message);
    }
  }
}
