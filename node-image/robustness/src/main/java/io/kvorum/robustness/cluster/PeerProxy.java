package io.kvorum.robustness.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy in front of one member's peer port. Every member advertises its proxy's address
 * as its peer URL, so all peer traffic to that member passes here. For each accepted
 * connection the proxy learns which member dialed ({@link SocketOwners}) and then applies the
 * {@link PeerNetwork}'s rule for each direction, chunk by chunk, at the moment the chunk is
 * read.
 *
 * <p>A dropped chunk is gone, so the byte stream it belonged to is corrupt: such a connection
 * is marked tainted and closed when the network heals, and the members reconnect cleanly, as
 * they would after a real outage.
 */
final class PeerProxy implements AutoCloseable {

    private static final int CHUNK = 16 * 1024;
    private static final int QUEUED_CHUNKS = 256;

    private final String target;
    private final int targetPort;
    private final PeerNetwork network;
    private final ServerSocket server;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    PeerProxy(String target, int listenPort, int targetPort, PeerNetwork network) throws IOException {
        this.target = target;
        this.targetPort = targetPort;
        this.network = network;
        this.server = new ServerSocket(listenPort, 64, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("proxy-" + target).start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Runs until {@link #close}: a failed accept (say, out of file descriptors) must not silently end the proxy. */
    private void acceptLoop() {
        while (!closed) {
            try {
                Socket in = server.accept();
                Thread.ofVirtual().start(() -> open(in));
            } catch (IOException e) {
                if (!closed) {
                    network.log("proxy " + target + ": accept failed, retrying: " + e.getMessage());
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }
    }

    private void open(Socket in) {
        String source = network.ownerOf(in.getPort(), port()).orElse("?");
        Socket out;
        try {
            out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            in.setTcpNoDelay(true);
            out.setTcpNoDelay(true);
        } catch (IOException e) {
            closeQuietly(in); // the member is down: the dialer sees a refused-like close
            return;
        }
        Connection c = new Connection(source, in, out);
        connections.add(c);
        c.start();
    }

    /** Closes connections that lost bytes, so the members reconnect on a clean stream. */
    void closeTainted() {
        connections.stream().filter(c -> c.tainted).forEach(Connection::close);
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        connections.forEach(Connection::close);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing a socket the other side already closed: nothing to do
        }
    }

    /** One proxied connection: source dialed target. */
    private final class Connection {
        final String source;
        final Socket in;
        final Socket out;
        volatile boolean tainted;

        Connection(String source, Socket in, Socket out) {
            this.source = source;
            this.in = in;
            this.out = out;
        }

        void start() {
            pump(in, out, source, target);
            pump(out, in, target, source);
        }

        /** Reader and writer threads per direction, so a delay holds chunks without blocking reads. */
        private void pump(Socket from, Socket to, String fromMember, String toMember) {
            BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
            Thread.ofVirtual().start(() -> {
                try (InputStream is = from.getInputStream()) {
                    byte[] buf = new byte[CHUNK];
                    for (int n; (n = is.read(buf)) >= 0; ) {
                        LinkRule rule = network.rule(fromMember, toMember);
                        if (rule.drop()) {
                            tainted = true;
                            continue;
                        }
                        queue.put(new Chunk(Arrays.copyOf(buf, n), System.nanoTime() + rule.delay().toNanos()));
                    }
                } catch (IOException | InterruptedException e) {
                    // connection closed: the writer below ends too
                }
                queue.offer(Chunk.END);
                close();
            });
            Thread.ofVirtual().start(() -> {
                try (OutputStream os = to.getOutputStream()) {
                    for (Chunk c; (c = queue.take()) != Chunk.END; ) {
                        long wait = c.releaseAt - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        os.write(c.bytes);
                    }
                } catch (IOException | InterruptedException e) {
                    // connection closed
                }
                close();
            });
        }

        void close() {
            connections.remove(this);
            closeQuietly(in);
            closeQuietly(out);
        }
    }

    private record Chunk(byte[] bytes, long releaseAt) {
        static final Chunk END = new Chunk(new byte[0], 0);
    }
}
