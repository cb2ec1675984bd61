package io.kvorum.robustness.fuzz;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvorum.server.peer.pb.PeerGrpc;
import io.kvorum.server.peer.pb.VersionRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The bytes a real gRPC client sends for one call (HTTP/2 preface, settings, headers, the
 * length-prefixed message), recorded once through a one-connection relay, so a fuzzer can send
 * any prefix of them: a peer that died in the middle of a frame.
 */
final class RecordedConversation {

    private static byte[] getVersion;

    private RecordedConversation() {
    }

    static synchronized byte[] getVersion(URI peer) throws Exception {
        if (getVersion == null) {
            getVersion = record(peer);
        }
        return getVersion;
    }

    private static byte[] record(URI peer) throws Exception {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        try (ServerSocket relay = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread pump = Thread.ofPlatform().daemon().start(() -> {
                try (Socket client = relay.accept(); Socket member = new Socket()) {
                    member.connect(new InetSocketAddress(peer.getHost(), peer.getPort()), 5_000);
                    Thread back = Thread.ofPlatform().daemon().start(() -> copy(member, client, null));
                    copy(client, member, sent);
                    back.join(5_000);
                } catch (IOException | InterruptedException e) {
                    // the recording ends with the connection
                }
            });
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", relay.getLocalPort()).usePlaintext().build();
            try {
                PeerGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).getVersion(VersionRequest.getDefaultInstance());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            pump.join(10_000);
        }
        synchronized (sent) {
            if (sent.size() == 0) {
                throw new IllegalStateException("recorded nothing of a GetVersion call");
            }
            return sent.toByteArray();
        }
    }

    private static void copy(Socket from, Socket to, ByteArrayOutputStream record) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (record != null) {
                    synchronized (record) {
                        record.write(buf, 0, n);
                    }
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // closed: done
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
