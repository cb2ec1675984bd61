package io.kvorum.robustness.load;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One plaintext gRPC channel per client URL ({@code http://127.0.0.1:2379}). Channels are
 * shared by all clients and closed together.
 */
public final class Endpoints implements AutoCloseable {

    private final List<ManagedChannel> channels = new ArrayList<>();

    public Endpoints(List<String> clientUrls) {
        if (clientUrls.isEmpty()) {
            throw new IllegalArgumentException("no client URLs: give at least one, like http://127.0.0.1:2379");
        }
        for (String url : clientUrls) {
            URI uri = URI.create(url);
            if (uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException("client URL '" + url + "' needs a host and a port, like http://127.0.0.1:2379");
            }
            channels.add(NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort())
                    .usePlaintext()
                    .maxInboundMessageSize(8 * 1024 * 1024)
                    .build());
        }
    }

    public int size() {
        return channels.size();
    }

    /** The channel for endpoint {@code index}, retrying a failed connection at once rather than after backoff. */
    public ManagedChannel channel(int index) {
        ManagedChannel channel = channels.get(index);
        channel.resetConnectBackoff();
        return channel;
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel c : channels) {
            try {
                c.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
