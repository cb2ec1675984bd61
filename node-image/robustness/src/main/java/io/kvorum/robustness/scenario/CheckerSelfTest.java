package io.kvorum.robustness.scenario;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import io.kvorum.robustness.linearizability.LinearizabilityChecker;
import io.kvorum.robustness.linearizability.Verdict;
import io.kvorum.robustness.watch.WatchChecker;
import io.kvorum.robustness.watch.WatchEvent;
import io.kvorum.robustness.watch.WatchLog;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Proof, on each real run, that the checkers would have noticed a bug in exactly this
 * history: one read is changed to a value nobody wrote, and one event of an acknowledged
 * write is removed from a watcher; both checkers must now complain. A run whose checkers cannot fail proves nothing.
 */
final class CheckerSelfTest {

    private CheckerSelfTest() {
    }

    /** Null if both corruptions were caught, otherwise what was not. */
    static String run(History history, List<WatchLog> logs, long upToRevision) {
        List<String> problems = new ArrayList<>();
        List<Operation> ops = new ArrayList<>(history.operations());
        int read = lastKnownRead(ops);
        if (read >= 0) {
            Operation op = ops.get(read);
            ops.set(read, new Operation(op.id(), op.client(), op.input(), new KvOutput.Read("never-written", 0),
                    op.invokedNanos(), op.returnedNanos()));
            Verdict v = LinearizabilityChecker.forKv().check(new History(ops, history.definitelyFailed())).verdict();
            if (v != Verdict.NOT_LINEARIZABLE) {
                problems.add("a read of a value never written was judged " + v);
            }
        }
        WatchLog first = logs.isEmpty() ? null : logs.getFirst();
        int victim = first == null ? -1 : acknowledgedEvent(first, history, upToRevision);
        if (victim >= 0) {
            var events = new ArrayList<>(first.events());
            WatchEvent removed = events.remove(victim);
            List<WatchLog> corrupted = new ArrayList<>(logs);
            corrupted.set(0, new WatchLog(first.watcher(), first.prefix(), first.startRevision(), events));
            if (new WatchChecker().check(corrupted, history, upToRevision).ok()) {
                problems.add("removing " + removed + " from watcher " + first.watcher() + " went unnoticed");
            }
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    /**
     * The middle event of the log that an acknowledged write produced (only those must be
     * delivered; a write with unknown outcome may be missing), or -1 if there is none.
     */
    private static int acknowledgedEvent(WatchLog log, History history, long upToRevision) {
        Set<Long> acknowledged = new HashSet<>();
        for (Operation op : history.operations()) {
            WatchEvent e = WatchChecker.effectOf(op);
            if (e != null && e.modRevision() <= upToRevision) {
                acknowledged.add(e.modRevision());
            }
        }
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < log.events().size(); i++) {
            if (acknowledged.contains(log.events().get(i).modRevision())) {
                candidates.add(i);
            }
        }
        return candidates.isEmpty() ? -1 : candidates.get(candidates.size() / 2);
    }

    private static int lastKnownRead(List<Operation> ops) {
        for (int i = ops.size() - 1; i >= 0; i--) {
            if (ops.get(i).output() instanceof KvOutput.Read) {
                return i;
            }
        }
        return -1;
    }
}
