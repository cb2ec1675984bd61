package io.kvorum.server.api;

import io.grpc.Status;

/**
 * An error as etcd reports it: a gRPC status code and etcd's exact message (for example
 * {@code FAILED_PRECONDITION "etcdserver: requested lease not found"}), so clients that match
 * on either keep working.
 */
public class EtcdException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;

  public EtcdException(Status.Code code, String message) {
    super(message);
    this.code = code;
  }

  public EtcdException(Status.Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public Status.Code code() {
    return code;
  }

  /** The gRPC status a service answers with. */
  public Status toStatus() {
    return Status.fromCode(code).withDescription(getMessage());
  }
}
