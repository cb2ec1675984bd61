package io.kvorum.storage;

/**
 * An error etcd reports to its clients, with etcd's exact text and the gRPC status code etcd
 * uses for it, so the server maps it mechanically: {@code Status.fromCode(Code.valueOf(e.grpcCode()))
 * .withDescription(e.getMessage())}.
 *
 * <p>The message is what etcdctl prints (etcd's {@code rpctypes} text), for example
 * {@code "etcdserver: mvcc: required revision has been compacted"}. Nothing was changed by the
 * request that raised it: the store validates before it writes.
 */
public final class EtcdException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** etcd's client-visible errors raised by the storage layer. */
  public enum Kind {
    COMPACTED("etcdserver: mvcc: required revision has been compacted", "OUT_OF_RANGE"),
    FUTURE_REV("etcdserver: mvcc: required revision is a future revision", "OUT_OF_RANGE"),
    NO_SPACE("etcdserver: mvcc: database space exceeded", "RESOURCE_EXHAUSTED"),
    KEY_NOT_FOUND("etcdserver: key not found", "INVALID_ARGUMENT"),
    EMPTY_KEY("etcdserver: key is not provided", "INVALID_ARGUMENT"),
    VALUE_PROVIDED("etcdserver: value is provided", "INVALID_ARGUMENT"),
    LEASE_PROVIDED("etcdserver: lease is provided", "INVALID_ARGUMENT"),
    DUPLICATE_KEY("etcdserver: duplicate key given in txn request", "INVALID_ARGUMENT"),
    TOO_MANY_OPS("etcdserver: too many operations in txn request", "INVALID_ARGUMENT"),
    LEASE_NOT_FOUND("etcdserver: requested lease not found", "NOT_FOUND"),
    LEASE_EXISTS("etcdserver: lease already exists", "FAILED_PRECONDITION"),
    LEASE_TTL_TOO_LARGE("etcdserver: too large lease TTL", "OUT_OF_RANGE"),
    /**
     * Keep-alive or time-to-live on a member that is not the leader: forward it to the leader
     * (what a client sees if that fails too is etcd's "not leader").
     */
    NOT_PRIMARY("etcdserver: not leader", "UNAVAILABLE");

    private final String message;
    private final String grpcCode;

    Kind(String message, String grpcCode) {
      this.message = message;
      this.grpcCode = grpcCode;
    }

    public String message() {
      return message;
    }

    public String grpcCode() {
      return grpcCode;
    }
  }

  private final Kind kind;

  public EtcdException(Kind kind) {
    super(kind.message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** The name of a {@code io.grpc.Status.Code}, for example {@code "OUT_OF_RANGE"}. */
  public String grpcCode() {
    return kind.grpcCode;
  }
}
