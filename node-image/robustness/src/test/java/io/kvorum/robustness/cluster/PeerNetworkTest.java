package io.kvorum.robustness.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy on loopback with an echo server as member "b" and this JVM as member "a": the
 * proxy must recognise this process as the dialer and apply a's and b's rules per direction.
 */
class PeerNetworkTest {

    private ServerSocket echo;
    private PeerNetwork network;
    private int proxyPort;
    private final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        echo = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            s.getInputStream().transferTo(s.getOutputStream());
                        } catch (IOException e) {
                            // peer went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        long self = ProcessHandle.current().pid();
        network = new PeerNetwork(() -> Map.of("a", self), log::add);
        proxyPort = network.addMember("b", 0, echo.getLocalPort());
        network.addMember("a", 0, 1); // only needed as a name in rules
    }

    @AfterEach
    void tearDown() throws IOException {
        network.close();
        echo.close();
    }

    @Test
    void passesBytesBothWaysAndKnowsWhoDialed() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "hello")).isEqualTo("hello");
        }
        assertThat(network.ownerOf(0, proxyPort)).isEmpty();
    }

    @Test
    void dropsOneDirectionThenResetsTheTaintedConnectionOnHeal() throws IOException {
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "one")).isEqualTo("one");
            network.drop("a", "b");
            assertDropped(s, "two");
            network.heal();
            assertThat(s.getInputStream().read()).as("tainted connection closed on heal").isEqualTo(-1);
        }
        try (Socket s = connect()) {
            assertThat(roundTrip(s, "three")).isEqualTo("three");
        }
        assertThat(log).contains("link a -> b: drop", "network healed");
    }

    @Test
    void dropOfTheReturnDirectionAlsoCutsTheEcho() throws IOException {
        network.drop("b", "a");
        try (Socket s = connect()) {
            assertDropped(s, "x");
        }
    }

    @Test
    void isolateCutsEveryLinkOfTheMember() throws IOException {
        network.isolate("b");
        try (Socket s = connect()) {
            assertDropped(s, "x");
        }
    }

    @Test
    void delaysEachChunkWithoutReorderingThem() throws IOException {
        network.delay("a", "b", Duration.ofMillis(300));
        try (Socket s = connect()) {
            long start = System.nanoTime();
            assertThat(roundTrip(s, "slow")).isEqualTo("slow");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        }
    }

    @Test
    void rulesNeedKnownMembers() {
        assertThatThrownBy(() -> network.drop("a", "zz")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no link a -> zz").hasMessageContaining("members are");
    }

    /**
     * A generous read timeout: the proxy looks up who dialed in /proc before it relays, which
     * took more than 600 ms on a saturated machine. Only {@link #assertDropped} waits briefly.
     */
    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxyPort);
        s.setSoTimeout(15_000);
        return s;
    }

    /** Nothing comes back within 600 ms: the link drops what is sent. */
    private static void assertDropped(Socket s, String text) throws IOException {
        s.setSoTimeout(600);
        assertThatThrownBy(() -> roundTrip(s, text)).isInstanceOf(SocketTimeoutException.class);
        s.setSoTimeout(15_000);
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes());
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[text.length()];
        int n = 0;
        while (n < buf.length) {
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                throw new IOException("closed after " + n + " bytes");
            }
            n += r;
        }
        return new String(buf);
    }
}
