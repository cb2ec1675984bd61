package io.kvorum.robustness.history;

import java.util.Objects;

/**
 * One completed client operation: what was asked, what came back, and when (nanoseconds on
 * one monotonic clock, relative to the recorder's start).
 *
 * <p>Real-time order is what linearizability is about: if {@code a.returnedNanos <
 * b.invokedNanos} then {@code a} must take effect before {@code b}. Operations whose
 * intervals overlap may take effect in either order.
 *
 * @param id            unique within a history
 * @param client        the client (thread) that issued it; a client issues one operation at a time
 * @param returnedNanos when the answer (or the error) arrived; for an {@link KvOutput.Unknown}
 *                      outcome the effect may still happen later, and the checker treats the
 *                      operation as open forever
 */
public record Operation(long id, int client, KvInput input, KvOutput output, long invokedNanos, long returnedNanos) {

    public Operation {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        if (returnedNanos < invokedNanos) {
            throw new IllegalArgumentException("operation " + id + " returned (" + returnedNanos
                    + ") before it was invoked (" + invokedNanos + ")");
        }
    }

    public boolean isUnknown() {
        return output instanceof KvOutput.Unknown;
    }

    public String key() {
        return input.key();
    }

    @Override
    public String toString() {
        return "#" + id + " c" + client + " " + input + " -> " + output
                + " [" + invokedNanos / 1_000 + "us.." + (isUnknown() ? "?" : returnedNanos / 1_000 + "us") + "]";
    }
}
