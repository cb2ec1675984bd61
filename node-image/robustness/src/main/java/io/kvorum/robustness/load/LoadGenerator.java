package io.kvorum.robustness.load;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.HistoryRecorder;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs register-style load from several client threads and records every operation. Start it,
 * inject faults meanwhile, then {@link #awaitHistory()}.
 */
public final class LoadGenerator {

    private final LoadConfig config;
    private final Endpoints endpoints;
    private final HistoryRecorder recorder = new HistoryRecorder();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong started = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();

    public LoadGenerator(LoadConfig config, Endpoints endpoints) {
        this.config = config;
        this.endpoints = endpoints;
    }

    public LoadGenerator start() {
        long deadline = System.nanoTime() + config.duration().toNanos();
        for (int c = 0; c < config.clients(); c++) {
            int id = c;
            threads.add(Thread.ofPlatform().name("load-" + id).daemon().start(() -> runClient(id, deadline)));
        }
        return this;
    }

    /** Asks the clients to stop after their current operation (before the configured duration). */
    public void stop() {
        stop.set(true);
    }

    /** Waits for every client to finish its last operation, then returns the history. */
    public History awaitHistory() throws InterruptedException {
        long limit = System.nanoTime() + config.duration().toNanos() + 4 * config.requestTimeout().toNanos()
                + TimeUnit.SECONDS.toNanos(5);
        for (Thread t : threads) {
            long left = limit - System.nanoTime();
            if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) {
                stop();
                throw new IllegalStateException("load client " + t.getName() + " did not finish in time; "
                        + "a request must have ignored its deadline");
            }
        }
        return recorder.history();
    }

    /**
     * After the load and the faults: one linearizable get of every key from a fresh client,
     * recorded into the same history, so a write lost at the very end is caught too.
     * Call after {@link #awaitHistory()}, with the cluster healthy.
     */
    public History readAllKeys() {
        KvClient client = new KvClient(config.clients(), endpoints, recorder, config.requestTimeout());
        unreadKeys = 0;
        for (int k = 0; k < config.keys(); k++) {
            if (!readUntilAnswered(client, config.prefix() + k)) {
                unreadKeys++;
            }
        }
        return recorder.history();
    }

    /**
     * The keys that no final read could get (after {@link #readAllKeys()}): a recovered cluster
     * answers each within {@link #FINAL_READ_ATTEMPTS} attempts.
     */
    public int unreadKeys() {
        return unreadKeys;
    }

    /**
     * One key's final read, retried on the next endpoint as a real client would: a member
     * restarted a moment ago may still be catching up. Failed attempts stay in the history as
     * reads with unknown outcome, which the checker handles (a read changes nothing).
     */
    private static boolean readUntilAnswered(KvClient client, String key) {
        for (int attempt = 0; attempt < FINAL_READ_ATTEMPTS; attempt++) {
            if (!client.execute(new KvInput.Get(key)).isUnknown()) {
                return true;
            }
        }
        return false;
    }

    private static final int FINAL_READ_ATTEMPTS = 5;
    private int unreadKeys;

    private void runClient(int id, long deadline) {
        Random random = new Random(config.seed() * 1_000_003L + id);
        KvClient client = new KvClient(id, endpoints, recorder, config.requestTimeout());
        Map<String, String> lastSeen = new HashMap<>();
        long pause = TimeUnit.SECONDS.toNanos(1) / config.opsPerSecondPerClient();
        long next = System.nanoTime();
        for (long n = 0; !stop.get() && System.nanoTime() < deadline; n++) {
            if (started.incrementAndGet() > config.maxOperations()) {
                return;
            }
            String key = config.prefix() + random.nextInt(config.keys());
            String value = "c" + id + "-" + n;
            int dice = random.nextInt(100);
            KvInput input = dice < 45 ? new KvInput.Get(key)
                    : dice < 70 ? new KvInput.Put(key, value)
                    : dice < 90 ? new KvInput.Cas(key, lastSeen.get(key), value)
                    : new KvInput.Delete(key);
            Operation op = client.execute(input);
            remember(op, lastSeen);
            next += pause;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            } else {
                next = System.nanoTime();
            }
        }
    }

    private static void remember(Operation op, Map<String, String> lastSeen) {
        String key = op.key();
        switch (op.output()) {
            case KvOutput.Read r -> lastSeen.put(key, r.value());
            case KvOutput.Written w when op.input() instanceof KvInput.Put p -> lastSeen.put(key, p.value());
            case KvOutput.Swapped s when s.succeeded() && op.input() instanceof KvInput.Cas c -> lastSeen.put(key, c.next());
            case KvOutput.Deleted d -> lastSeen.remove(key);
            default -> {
            }
        }
    }
}
