package io.kvorum.robustness.history;

import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records what many client threads do, for the checkers. Thread-safe.
 *
 * <p>A client calls {@link #invoke} right before sending a request and completes the returned
 * {@link Invocation} exactly once, right after the answer arrives:
 * <pre>{@code
 * var call = recorder.invoke(client, new KvInput.Put("k", "v1"));
 * try { call.ok(new KvOutput.Written(stub.put(..).getHeader().getRevision())); }
 * catch (StatusRuntimeException e) { call.unknown(e.getStatus().getCode().name()); }
 * }</pre>
 * Taking the invocation time before sending and the response time after receiving widens each
 * interval, which can only make the checker more permissive, never report a false violation.
 */
public final class HistoryRecorder {

    private final long origin = System.nanoTime();
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final ConcurrentLinkedQueue<Operation> completed = new ConcurrentLinkedQueue<>();

    public Invocation invoke(int client, KvInput input) {
        return new Invocation(nextId.getAndIncrement(), client, input, now());
    }

    /** A snapshot of every operation completed so far (open invocations are not included). */
    public History history() {
        return new History(new ArrayList<>(completed), failed.get());
    }

    private long now() {
        return System.nanoTime() - origin;
    }

    /** An operation in flight. Complete it exactly once. */
    public final class Invocation {
        private final long id;
        private final int client;
        private final KvInput input;
        private final long invokedNanos;
        private final AtomicBoolean done = new AtomicBoolean();

        private Invocation(long id, int client, KvInput input, long invokedNanos) {
            this.id = id;
            this.client = client;
            this.input = input;
            this.invokedNanos = invokedNanos;
        }

        /** The server answered. */
        public Operation ok(KvOutput output) {
            if (output instanceof KvOutput.Unknown u) {
                return unknown(u.reason());
            }
            return complete(output);
        }

        /** Timeout or error: the operation may or may not have taken effect. */
        public Operation unknown(String reason) {
            return complete(new KvOutput.Unknown(reason));
        }

        /**
         * The operation certainly had no effect (for example the channel refused it before
         * sending). It is counted, not recorded. When in doubt, use {@link #unknown}.
         */
        public void failed() {
            markDone();
            failed.incrementAndGet();
        }

        private Operation complete(KvOutput output) {
            markDone();
            Operation op = new Operation(id, client, input, output, invokedNanos, now());
            completed.add(op);
            return op;
        }

        private void markDone() {
            if (!done.compareAndSet(false, true)) {
                throw new IllegalStateException("operation " + id + " (" + input + ") was completed twice");
            }
        }
    }
}
