package io.kvorum.robustness.fuzz;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvorum.robustness.cluster.ProcessCluster;
import io.kvorum.robustness.scenario.Target;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One real Kvorum member process ({@code java -jar kvorum.jar}, a 1-member cluster) for a
 * fuzzer to throw bad input at, holding data written before the fuzzing that must survive it.
 *
 * <p>The sentinels live under {@value #SENTINEL_PREFIX}, which sorts below {@value #FUZZ_PREFIX},
 * and fuzzers only write or delete at or above {@value #FUZZ_PREFIX} (a range {@code [k, end)}
 * with {@code k >= "fuzz/"} cannot reach them). So any sentinel that changes was lost by the
 * server, not deleted by a fuzzed request.
 */
final class FuzzedNode implements AutoCloseable {

    static final String SENTINEL_PREFIX = "fuzz-sentinel/";
    static final String FUZZ_PREFIX = "fuzz/";
    private static final int SENTINELS = 20;
    /** A call that takes longer than this hangs as far as a fuzzer is concerned. */
    static final Duration CALL_DEADLINE = Duration.ofSeconds(15);

    private final ProcessCluster cluster;
    private final ManagedChannel channel;
    private final List<String> sentinelValues = new ArrayList<>();
    private int checks;

    private static FuzzedNode shared;

    /**
     * The one member all fuzzers of this JVM use (one JVM start, ~20 s on a busy machine, instead
     * of one per fuzzer); stopped when the JVM exits. Each fuzzer checks it after each property.
     */
    static synchronized FuzzedNode shared() {
        if (shared == null) {
            shared = start("node");
            FuzzedNode node = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(node::close));
        }
        return shared;
    }

    private FuzzedNode(ProcessCluster cluster) {
        this.cluster = cluster;
        URI client = URI.create(cluster.clientUrls().getFirst());
        this.channel = NettyChannelBuilder.forAddress(client.getHost(), client.getPort()).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
    }

    /**
     * Starts the member ({@link #target()}; Kvorum from {@code -Dkvorum.jar}) and writes the sentinels.
     *
     * @throws org.opentest4j.TestAbortedException when there is no jar (the fuzzers skip, saying why)
     */
    private static FuzzedNode start(String name) {
        Target target = target();
        String unavailable = target.unavailableReason();
        if (unavailable != null) {
            throw new org.opentest4j.TestAbortedException(unavailable);
        }
        Path dir = Path.of(System.getProperty("robustness.workDir", "target/robustness"))
                .resolve("fuzz-" + name + "-" + target.name().toLowerCase(java.util.Locale.ROOT));
        ProcessCluster cluster = ProcessCluster.start(target.binary(), 1, dir,
                line -> System.out.println("[" + name + "] " + line), io.kvorum.robustness.scenario.FaultContext.START_BOUND);
        FuzzedNode node = new FuzzedNode(cluster);
        try {
            for (int i = 0; i < SENTINELS; i++) {
                String value = "v" + i + "-" + Long.toHexString(System.nanoTime());
                node.kv().put(PutRequest.newBuilder().setKey(sentinelKey(i)).setValue(ByteString.copyFromUtf8(value)).build());
                node.sentinelValues.add(value);
            }
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    /**
     * Kvorum, or with {@code -Dfuzz.target=ETCD} etcd 3.4: the reference for what a clear
     * answer to bad input looks like (the peer-port fuzzer is Kvorum's protocol, Kvorum only).
     */
    static Target target() {
        return Target.valueOf(System.getProperty("fuzz.target", "KVORUM").trim().toUpperCase(java.util.Locale.ROOT));
    }

    private static ByteString sentinelKey(int i) {
        return ByteString.copyFromUtf8(String.format("%s%03d", SENTINEL_PREFIX, i));
    }

    ManagedChannel channel() {
        return channel;
    }

    String clientUrl() {
        return cluster.clientUrls().getFirst();
    }

    String peerUrl() {
        return cluster.peerListenUrl("m0");
    }

    KVGrpc.KVBlockingStub kv() {
        return KVGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The promise after bad input: the process is still running, it takes a new write, and every
     * sentinel reads back with the value it was acknowledged with (one linearizable range).
     * Throws {@link AssertionError} saying what broke, with the tail of the member's log.
     */
    void assertStillServesWithDataIntact(String after) {
        checks++;
        if (!cluster.isRunning("m0")) {
            throw new AssertionError("the member exited after " + after + ":\n" + cluster.diagnose());
        }
        try {
            kv().put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(FUZZ_PREFIX + "probe"))
                    .setValue(ByteString.copyFromUtf8("after " + checks)).build());
            RangeResponse r = kv().range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(SENTINEL_PREFIX))
                    .setRangeEnd(ByteString.copyFromUtf8(SENTINEL_PREFIX.substring(0, SENTINEL_PREFIX.length() - 1) + "0"))
                    .build());
            List<String> found = r.getKvsList().stream().map(kv -> kv.getKey().toStringUtf8() + "=" + kv.getValue().toStringUtf8()).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < sentinelValues.size(); i++) {
                expected.add(sentinelKey(i).toStringUtf8() + "=" + sentinelValues.get(i));
            }
            if (!found.equals(expected)) {
                throw new AssertionError("acknowledged data changed after " + after + ": expected " + expected + ", found " + found);
            }
        } catch (io.grpc.StatusRuntimeException e) {
            throw new AssertionError("the member does not serve after " + after + ": " + e.getStatus() + "\n" + cluster.diagnose(), e);
        }
    }

    /** The member's Raft term (Maintenance.Status): moves only if some message was stepped or it re-elected. */
    long raftTerm() {
        return io.etcd.jetcd.api.MaintenanceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .status(io.etcd.jetcd.api.StatusRequest.getDefaultInstance()).getRaftTerm();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        cluster.close();
    }
}
