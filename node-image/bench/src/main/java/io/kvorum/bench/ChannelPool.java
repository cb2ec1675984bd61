package io.kvorum.bench;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code count} gRPC channels, each its own HTTP/2 connection, spread round-robin over the given
 * endpoints. Callbacks run on the transport's threads (direct executor): the benchmark's handlers
 * only record a number and start the next call, so a thread hop would cost more than they do.
 */
final class ChannelPool implements AutoCloseable {

  /** etcd accepts requests up to 1.5 MiB; answers (a range of many keys) may be larger. */
  private static final int MAX_MESSAGE_BYTES = 64 << 20;

  private final List<ManagedChannel> channels = new ArrayList<>();

  ChannelPool(List<InetSocketAddress> endpoints, int count) {
    if (endpoints.isEmpty() || count < 1) {
      throw new IllegalArgumentException("need endpoints and at least one channel");
    }
    for (int i = 0; i < count; i++) {
      InetSocketAddress endpoint = endpoints.get(i % endpoints.size());
      channels.add(Grpc.newChannelBuilderForAddress(endpoint.getHostString(), endpoint.getPort(),
              InsecureChannelCredentials.create())
          .directExecutor()
          .maxInboundMessageSize(MAX_MESSAGE_BYTES)
          .build());
    }
  }

  /** The channel of client {@code client}: clients share channels round-robin. */
  ManagedChannel forClient(int client) {
    return channels.get(client % channels.size());
  }

  int size() {
    return channels.size();
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel channel : channels) {
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
