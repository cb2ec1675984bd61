package io.kvorum.robustness.cluster;

import java.time.Duration;

/**
 * What happens to bytes flowing one way between two members: passed, dropped, or passed
 * after {@code delay}.
 */
public record LinkRule(boolean drop, Duration delay) {

    public static final LinkRule PASS = new LinkRule(false, Duration.ZERO);
    public static final LinkRule DROP = new LinkRule(true, Duration.ZERO);

    public static LinkRule delay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("a delay cannot be negative: " + delay);
        }
        return new LinkRule(false, delay);
    }
}
