package io.kvorum.server.http;

/**
 * Limits of the client port, named after etcd's flags.
 *
 * @param maxRequestBytes {@code --max-request-bytes}: the largest request a client may send
 *     (etcd's default 1.5 MiB). A larger write fails with {@code "etcdserver: request is too
 *     large"}; the gRPC transport itself accepts {@link #GRPC_OVERHEAD_BYTES} more so that such
 *     requests reach that check instead of a bare transport error.
 * @param maxTxnOps {@code --max-txn-ops}: most operations in one txn branch (etcd's default 128).
 * @param maxConcurrentStreams {@code --max-concurrent-streams}: HTTP/2 streams per client
 *     connection (etcd's default is the protocol maximum, 2^32 − 1), so one client can hold
 *     thousands of watch streams on one connection.
 */
public record ClientPortOptions(long maxRequestBytes, int maxTxnOps, long maxConcurrentStreams) {
  public static final long DEFAULT_MAX_REQUEST_BYTES = 1536 * 1024;
  public static final int DEFAULT_MAX_TXN_OPS = 128;
  public static final long DEFAULT_MAX_CONCURRENT_STREAMS = 0xFFFF_FFFFL;
  /** Room for gRPC framing around a request, as etcd's {@code grpcOverheadBytes}. */
  public static final long GRPC_OVERHEAD_BYTES = 512 * 1024;

  public ClientPortOptions {
    if (maxRequestBytes <= 0 || maxRequestBytes > Integer.MAX_VALUE - GRPC_OVERHEAD_BYTES) {
      throw new IllegalArgumentException(
          "--max-request-bytes must be between 1 and "
              + (Integer.MAX_VALUE - GRPC_OVERHEAD_BYTES)
              + ", got "
              + maxRequestBytes);
    }
    if (maxTxnOps <= 0) {
      throw new IllegalArgumentException("--max-txn-ops must be positive, got " + maxTxnOps);
    }
    if (maxConcurrentStreams <= 0 || maxConcurrentStreams > DEFAULT_MAX_CONCURRENT_STREAMS) {
      throw new IllegalArgumentException(
          "--max-concurrent-streams must be between 1 and 4294967295, got "
              + maxConcurrentStreams);
    }
  }

  public static ClientPortOptions defaults() {
    return new ClientPortOptions(
        DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_TXN_OPS, DEFAULT_MAX_CONCURRENT_STREAMS);
  }

  public ClientPortOptions withMaxRequestBytes(long bytes) {
    return new ClientPortOptions(bytes, maxTxnOps, maxConcurrentStreams);
  }

  /** The largest gRPC message the transport reads before the request checks see it. */
  public long maxGrpcMessageBytes() {
    return maxRequestBytes + GRPC_OVERHEAD_BYTES;
  }

  /**
   * The largest gRPC message the transport reads at all: four times {@link #maxGrpcMessageBytes()},
   * so that a message over that limit still reaches {@link RequestDecoding}, which says how large
   * it was. Above this the gRPC servers refuse it with {@code RESOURCE_EXHAUSTED}; the factor
   * bounds what one call may buffer.
   */
  public long transportMessageBytes() {
    return 4 * maxGrpcMessageBytes();
  }

  /**
   * The largest HTTP/1.1 gateway body read: the JSON of a maximal request, whose bytes fields
   * are base64 (4/3 larger) and may be escaped, plus room for field names.
   */
  public long maxGatewayBodyBytes() {
    return 2 * maxRequestBytes + GRPC_OVERHEAD_BYTES;
  }
}
