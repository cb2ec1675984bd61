package io.kvorum.robustness.scenario;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.robustness.cluster.ClusterUnderTest;
import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.HistoryRecorder;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.Operation;
import io.kvorum.robustness.load.Endpoints;
import io.kvorum.robustness.load.KvClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Power loss, over and over: writers put unique keys ({@code dur/c<client>/<n>}) while the
 * whole cluster is SIGKILLed and restarted {@code cycles} times. Afterwards every
 * acknowledged put must be there with its value, and every key there must come from a put
 * that was sent (acknowledged, or with an unknown outcome): nothing lost, nothing invented.
 */
public final class CrashDurability {

    private static final String PREFIX = "dur/";
    private static final int WRITERS = 3;
    private static final int PUTS_PER_SECOND_PER_WRITER = 40;

    private CrashDurability() {
    }

    /** The outcome. Passing: at least one acknowledged write per cycle on average, none missing, none invented. */
    public record Report(int cycles, long acknowledged, long unknown, List<String> missing, List<String> invented,
                         List<String> timeline) {
        public boolean passed() {
            return missing.isEmpty() && invented.isEmpty() && acknowledged >= cycles;
        }

        public String details() {
            return "crash durability: " + (passed() ? "PASS" : "FAIL") + " after " + cycles + " whole-cluster SIGKILL/restart cycles\n"
                    + "  puts: " + acknowledged + " acknowledged, " + unknown + " unknown outcome\n"
                    + "  missing acknowledged writes: " + missing.size() + (missing.isEmpty() ? "" : " " + missing.subList(0, Math.min(10, missing.size()))) + "\n"
                    + "  keys nobody wrote (or with another value): " + invented.size() + (invented.isEmpty() ? "" : " " + invented.subList(0, Math.min(10, invented.size()))) + "\n"
                    + "  timeline (last lines):\n    " + String.join("\n    ", timeline.subList(Math.max(0, timeline.size() - 12), timeline.size()));
        }
    }

    public static Report run(ClusterUnderTest cluster, int cycles, long seed, Timeline timeline) throws InterruptedException {
        Random random = new Random(seed);
        HistoryRecorder recorder = new HistoryRecorder();
        AtomicBoolean stop = new AtomicBoolean();
        try (Endpoints endpoints = new Endpoints(cluster.clientUrls())) {
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int id = w;
                writers.add(Thread.ofPlatform().daemon().name("durability-writer-" + id)
                        .start(() -> write(id, endpoints, recorder, stop)));
            }
            for (int cycle = 1; cycle <= cycles; cycle++) {
                Thread.sleep(300 + random.nextInt(600));
                cluster.killAll();
                cluster.startAll();
                cluster.awaitHealthy(FaultContext.RESTART_BOUND);
                timeline.add("cycle " + cycle + " of " + cycles + ": killed all, restarted, healthy");
            }
            Thread.sleep(500);
            stop.set(true);
            for (Thread t : writers) {
                if (!t.join(Duration.ofSeconds(10))) {
                    throw new IllegalStateException(t.getName() + " did not stop: a put ignored its deadline");
                }
            }
            cluster.awaitHealthy(FaultContext.RESTART_BOUND);
            Map<String, String> stored = readAll(endpoints);
            return compare(cycles, recorder.history(), stored, timeline);
        }
    }

    private static void write(int id, Endpoints endpoints, HistoryRecorder recorder, AtomicBoolean stop) {
        KvClient client = new KvClient(id, endpoints, recorder, Duration.ofSeconds(1));
        long pause = TimeUnit.SECONDS.toNanos(1) / PUTS_PER_SECOND_PER_WRITER;
        for (long n = 0; !stop.get() && n < 10_000_000; n++) {
            client.execute(new KvInput.Put(PREFIX + "c" + id + "/" + n, "v" + n));
            LockSupport.parkNanos(pause);
        }
    }

    /**
     * Reads every written key, linearizably. A channel may still hold a connection to a member
     * process killed by the last cycle, so an UNAVAILABLE moves on to the next endpoint, for a
     * bounded number of attempts.
     */
    private static Map<String, String> readAll(Endpoints endpoints) {
        RangeRequest request = RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(PREFIX))
                .setRangeEnd(ByteString.copyFromUtf8("dur0")).build(); // '0' follows '/'
        io.etcd.jetcd.api.RangeResponse response = null;
        for (int attempt = 0; response == null; attempt++) {
            try {
                response = KVGrpc.newBlockingStub(endpoints.channel(attempt % endpoints.size()))
                        .withDeadlineAfter(10, TimeUnit.SECONDS).range(request);
            } catch (io.grpc.StatusRuntimeException e) {
                if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE || attempt >= 3 * endpoints.size()) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
        Map<String, String> stored = new HashMap<>();
        for (KeyValue kv : response.getKvsList()) {
            stored.put(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8());
        }
        return stored;
    }

    static Report compare(int cycles, History history, Map<String, String> stored, Timeline timeline) {
        Map<String, String> sent = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (Operation op : history.operations()) {
            KvInput.Put put = (KvInput.Put) op.input();
            sent.put(put.key(), put.value());
            if (!op.isUnknown() && !put.value().equals(stored.get(put.key()))) {
                missing.add(put.key() + "=" + put.value() + " (found " + stored.get(put.key()) + ")");
            }
        }
        List<String> invented = stored.entrySet().stream()
                .filter(e -> !e.getValue().equals(sent.get(e.getKey())))
                .map(e -> e.getKey() + "=" + e.getValue()).sorted().toList();
        return new Report(cycles, history.acknowledged(), history.unknown(), missing, invented, timeline.lines());
    }
}
