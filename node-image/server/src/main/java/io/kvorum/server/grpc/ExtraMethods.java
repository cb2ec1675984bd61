package io.kvorum.server.grpc;

import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;

/**
 * Adds RPCs that the jetcd stubs lack (for example {@code Lease/LeaseLeases}, {@code
 * Maintenance/Downgrade}) to jetcd's generated service definition.
 *
 * <p>A gRPC service name can be bound once, so the extra methods cannot live in a second
 * {@code etcdserverpb.Lease} service: the result is one definition under jetcd's name holding
 * jetcd's methods plus the extra ones, e.g. {@code etcdserverpb.Lease} with Grant, Revoke,
 * KeepAlive, TimeToLive and LeaseLeases.
 */
final class ExtraMethods {
  private ExtraMethods() {}

  static ServerServiceDefinition add(
      ServerServiceDefinition jetcd, ServerMethodDefinition<?, ?>... extra) {
    String name = jetcd.getServiceDescriptor().getName();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(name)
            // The bridge wants the protobuf schema; jetcd's file describes the other methods.
            .setSchemaDescriptor(jetcd.getServiceDescriptor().getSchemaDescriptor());
    jetcd.getMethods().forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    for (ServerMethodDefinition<?, ?> method : extra) {
      descriptor.addMethod(method.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
    jetcd.getMethods().forEach(builder::addMethod);
    for (ServerMethodDefinition<?, ?> method : extra) {
      builder.addMethod(method);
    }
    return builder.build();
  }
}
