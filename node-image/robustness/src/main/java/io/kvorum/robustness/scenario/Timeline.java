package io.kvorum.robustness.scenario;

import java.util.ArrayList;
import java.util.List;

/** What happened when, in milliseconds since the scenario started. Thread-safe. */
public final class Timeline {

    private final long origin = System.nanoTime();
    private final List<String> lines = new ArrayList<>();

    public synchronized void add(String event) {
        lines.add(String.format("%7d ms  %s", (System.nanoTime() - origin) / 1_000_000, event));
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }
}
