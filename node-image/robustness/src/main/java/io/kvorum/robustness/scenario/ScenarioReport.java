package io.kvorum.robustness.scenario;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.linearizability.CheckResult;
import io.kvorum.robustness.watch.WatchReport;
import java.util.List;

/**
 * The outcome of one scenario run. It passes only if the fault took effect, the load did real
 * work, the cluster served every key again afterwards, both checkers found nothing, and both
 * caught the bugs planted in a copy of the history ({@link CheckerSelfTest}).
 */
public record ScenarioReport(String scenario, String target, long seed, History history, long finalReadsFailed,
                             CheckResult linearizability, WatchReport watch, long checkMillis, String faultError,
                             String selfTestProblem, List<String> timeline) {

    public boolean passed() {
        return faultError == null && selfTestProblem == null && history.acknowledged() > 0 && finalReadsFailed == 0
                && linearizability.isLinearizable() && watch.ok();
    }

    /** One table row: scenario, target, seed, ops, acknowledged, unknown, verdicts. */
    public String row() {
        return String.format("| %s | %s | %d | %d | %d | %d | %s | %s | %d ms | %s |", scenario, target, seed,
                history.size(), history.acknowledged(), history.unknown(), linearizability.verdict(),
                watch.ok() ? "ok (" + watch.eventsChecked() + " events)" : watch.violations().size() + " violations",
                checkMillis, passed() ? "PASS" : "FAIL");
    }

    public String details() {
        StringBuilder b = new StringBuilder();
        b.append(scenario).append(" on ").append(target).append(", seed ").append(seed).append(": ")
                .append(passed() ? "PASS" : "FAIL").append('\n');
        b.append("  operations: ").append(history.size()).append(" recorded, ").append(history.acknowledged())
                .append(" acknowledged, ").append(history.unknown()).append(" unknown outcome (timeout/error)\n");
        if (faultError != null) {
            b.append("  fault: ").append(faultError).append('\n');
        }
        if (selfTestProblem != null) {
            b.append("  checker self-test: ").append(selfTestProblem).append('\n');
        }
        if (finalReadsFailed > 0) {
            b.append("  ").append(finalReadsFailed).append(" final reads failed: the cluster did not recover\n");
        }
        b.append("  linearizability: ").append(linearizability.summary().replace("\n", "\n  ")).append('\n');
        b.append("  ").append(watch.summary().replace("\n", "\n  ")).append('\n');
        b.append("  checked in ").append(checkMillis).append(" ms\n  timeline:\n");
        timeline.forEach(l -> b.append("    ").append(l).append('\n'));
        return b.toString();
    }
}
