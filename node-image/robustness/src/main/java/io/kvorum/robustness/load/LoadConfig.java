package io.kvorum.robustness.load;

import java.time.Duration;

/**
 * How much load: {@code clients} threads, each doing register operations on {@code keys} keys
 * named {@code prefix + i}, at most {@code opsPerSecondPerClient}, until {@code duration} has
 * passed or {@code maxOperations} were done, whichever is first.
 *
 * <p>The operation mix: 45% get, 25% put, 20% compare-and-swap (expecting the value this client
 * saw last for that key), 10% delete. Written values are unique ({@code c<client>-<n>}), which
 * both checkers rely on.
 */
public record LoadConfig(int clients, int keys, String prefix, Duration duration, long maxOperations,
                         int opsPerSecondPerClient, Duration requestTimeout, long seed) {

    public LoadConfig {
        if (clients < 1 || keys < 1 || opsPerSecondPerClient < 1 || maxOperations < 1) {
            throw new IllegalArgumentException("clients, keys, opsPerSecondPerClient and maxOperations must be at least 1");
        }
        if (duration.isNegative() || duration.isZero() || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("duration and requestTimeout must be positive");
        }
    }

    public static LoadConfig registers(Duration duration, long seed) {
        return new LoadConfig(4, 6, "reg/", duration, 1_000_000, 60, Duration.ofSeconds(1), seed);
    }
}
