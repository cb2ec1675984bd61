package io.kvorum.robustness.watch;

import java.util.List;

/** What the watch checker found. Passing means no violations at all. */
public record WatchReport(long eventsChecked, List<String> violations) {

    public WatchReport {
        violations = List.copyOf(violations);
    }

    public boolean ok() {
        return violations.isEmpty();
    }

    public String summary() {
        if (ok()) {
            return "watch ok (" + eventsChecked + " events)";
        }
        int shown = Math.min(violations.size(), 20);
        return "watch: " + violations.size() + " violations in " + eventsChecked + " events:\n  "
                + String.join("\n  ", violations.subList(0, shown))
                + (shown < violations.size() ? "\n  ..." : "");
    }
}
