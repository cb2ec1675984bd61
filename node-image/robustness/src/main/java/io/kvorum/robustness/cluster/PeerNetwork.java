package io.kvorum.robustness.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The network between members: one {@link PeerProxy} per member and a rule per ordered pair
 * (from, to). All peer traffic passes a proxy, so a test can cut, drop one way, or delay any
 * link, then heal.
 *
 * <pre>
 * isolate("m0")          m0 &lt;-/-&gt; m1, m0 &lt;-/-&gt; m2       (m0 alone: a minority)
 * drop("m0", "m1")       m0 --/--&gt; m1, m1 ------&gt; m0    (one way)
 * delay("m1","m2",50ms)  m1 --50ms--&gt; m2
 * heal()                 everything passes again; connections that lost bytes are reset
 * </pre>
 */
public final class PeerNetwork implements AutoCloseable {

    private final Map<String, PeerProxy> proxies = new LinkedHashMap<>();
    private final Map<String, LinkRule> rules = new ConcurrentHashMap<>();
    private final Supplier<Map<String, Long>> memberPids;
    private final Consumer<String> log;

    PeerNetwork(Supplier<Map<String, Long>> memberPids, Consumer<String> log) {
        this.memberPids = memberPids;
        this.log = log;
    }

    /**
     * Starts the proxy for {@code member}: it listens on {@code proxyPort} (0: any free port)
     * and forwards to {@code peerPort}. Returns the port it listens on.
     */
    int addMember(String member, int proxyPort, int peerPort) throws IOException {
        PeerProxy proxy = new PeerProxy(member, proxyPort, peerPort, this);
        proxies.put(member, proxy);
        return proxy.port();
    }

    /** Cuts every link between {@code member} and the others, both ways. */
    public void isolate(String member) {
        for (String other : proxies.keySet()) {
            if (!other.equals(member)) {
                drop(member, other);
                drop(other, member);
            }
        }
    }

    /** Cuts every link between the two sides, both ways. */
    public void partition(Collection<String> side, Collection<String> otherSide) {
        for (String a : side) {
            for (String b : otherSide) {
                drop(a, b);
                drop(b, a);
            }
        }
    }

    /** Drops everything {@code from} sends to {@code to}; the other direction is untouched. */
    public void drop(String from, String to) {
        set(from, to, LinkRule.DROP);
    }

    public void delay(String from, String to, Duration delay) {
        set(from, to, LinkRule.delay(delay));
    }

    /** Every link passes again. */
    public void heal() {
        rules.clear();
        proxies.values().forEach(PeerProxy::closeTainted);
        log.accept("network healed");
    }

    LinkRule rule(String from, String to) {
        return rules.getOrDefault(from + "->" + to, LinkRule.PASS);
    }

    Optional<String> ownerOf(int clientPort, int proxyPort) {
        return SocketOwners.owner(clientPort, proxyPort, memberPids.get());
    }

    void log(String message) {
        log.accept(message);
    }

    private void set(String from, String to, LinkRule rule) {
        if (!proxies.containsKey(from) || !proxies.containsKey(to)) {
            throw new IllegalArgumentException("no link " + from + " -> " + to + "; members are " + proxies.keySet());
        }
        rules.put(from + "->" + to, rule);
        log.accept("link " + from + " -> " + to + ": " + (rule.drop() ? "drop" : "delay " + rule.delay().toMillis() + "ms"));
    }

    @Override
    public void close() {
        proxies.values().forEach(PeerProxy::close);
    }
}
