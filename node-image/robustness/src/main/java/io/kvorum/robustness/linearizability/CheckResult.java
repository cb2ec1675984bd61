package io.kvorum.robustness.linearizability;

import java.util.List;
import java.util.stream.Collectors;

/** The verdict for a whole history: the worst verdict of its per-key partitions. */
public record CheckResult(Verdict verdict, List<PartitionResult> partitions) {

    public boolean isLinearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    /** One line per key that did not pass, or "linearizable (N keys, M operations)". */
    public String summary() {
        int ops = partitions.stream().mapToInt(PartitionResult::operations).sum();
        if (isLinearizable()) {
            return "linearizable (" + partitions.size() + " keys, " + ops + " operations)";
        }
        return verdict + " (" + partitions.size() + " keys, " + ops + " operations):\n"
                + partitions.stream().filter(p -> p.verdict() != Verdict.LINEARIZABLE)
                .map(p -> "  key " + p.key() + ": " + p.verdict() + ": " + p.explanation())
                .collect(Collectors.joining("\n"));
    }
}
