package io.kvorum.robustness.linearizability;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Decides whether a history is linearizable: whether every operation can be given one instant
 * between its invocation and its response such that, in that order, the sequential
 * {@link Model} produces exactly the recorded outputs.
 *
 * <h2>Algorithm</h2>
 * Wing &amp; Gong's backtracking search with Lowe's improvements, as Porcupine and Knossos do it:
 * <ul>
 *   <li><b>Partitioning (P-compositionality).</b> A history is linearizable iff each per-key
 *       sub-history is, so each key is checked on its own. This turns one exponential search
 *       into many small ones.</li>
 *   <li><b>Just-in-time linearization.</b> Invocations and responses are one list ordered by
 *       time. Walking it, the search tries to linearize each pending call; it only has to
 *       backtrack when it reaches the <em>response</em> of a call that is not yet linearized,
 *       because that call must have taken effect before its response.</li>
 *   <li><b>Memoization.</b> Two search paths that linearized the same set of operations and
 *       reached the same model state have the same future, so each (set, state) pair is
 *       explored once.</li>
 * </ul>
 *
 * <h2>Unknown outcomes</h2>
 * An operation that timed out or failed ambiguously ({@link KvOutput.Unknown}) gets a response
 * time of +&infin;: it may take effect at any point after its invocation, and since nothing
 * after +&infin; constrains it, also "never". Reads with unknown outcomes constrain nothing and
 * are dropped. The search is done as soon as every operation with a known outcome is placed.
 *
 * <p>Worked example: {@code put(x=1)} times out; later a client reads {@code x=1}. Linearizable:
 * the put took effect after all. A read of {@code x=2} when nobody ever wrote 2 is not.
 *
 * <h2>Budget</h2>
 * The problem is NP-complete; each key gets at most {@code maxStepsPerKey} search steps and
 * answers {@link Verdict#UNKNOWN} when they run out instead of hanging.
 */
public final class LinearizabilityChecker<S> {

    /** Enough for the several thousand operations per key a short run produces, bounded in memory. */
    public static final long DEFAULT_MAX_STEPS_PER_KEY = 10_000_000;

    private final Model<S> model;
    private final long maxStepsPerKey;

    public LinearizabilityChecker(Model<S> model, long maxStepsPerKey) {
        if (maxStepsPerKey <= 0) {
            throw new IllegalArgumentException("maxStepsPerKey must be positive, was " + maxStepsPerKey);
        }
        this.model = model;
        this.maxStepsPerKey = maxStepsPerKey;
    }

    /** A checker for etcd keys used as registers. */
    public static LinearizabilityChecker<String> forKv() {
        return new LinearizabilityChecker<>(new KvModel(), DEFAULT_MAX_STEPS_PER_KEY);
    }

    public CheckResult check(History history) {
        Map<String, List<Operation>> byKey = history.operations().stream()
                .filter(op -> !(op.isUnknown() && op.input() instanceof KvInput.Get))
                .collect(Collectors.groupingBy(Operation::key, TreeMap::new, Collectors.toList()));
        List<PartitionResult> results = new ArrayList<>();
        Verdict verdict = Verdict.LINEARIZABLE;
        for (var e : byKey.entrySet()) {
            PartitionResult r = checkKey(e.getKey(), e.getValue());
            results.add(r);
            verdict = verdict.and(r.verdict());
        }
        return new CheckResult(verdict, List.copyOf(results));
    }

    /**
     * Checks one key. Unknown writes whose value nobody ever observed are first left out: if the
     * history is linearizable without them, it is linearizable with them (they can take effect
     * "never"). Only if that fails is the full, slower search needed; it alone decides a violation.
     */
    PartitionResult checkKey(String key, List<Operation> ops) {
        List<Operation> observable = withoutUnobservedUnknownWrites(ops);
        long spent = 0;
        if (observable.size() < ops.size()) {
            // A linearizable history is found in a few steps per operation; when the quick pass
            // needs more, some left-out write is probably needed, and proving otherwise is the
            // expensive kind of search. Cap it and let the full search decide.
            long quickBudget = Math.min(maxStepsPerKey, 20L * ops.size() + 10_000);
            PartitionResult quick = new Search(key, observable, quickBudget).run();
            if (quick.verdict() == Verdict.LINEARIZABLE) {
                return new PartitionResult(key, ops.size(), Verdict.LINEARIZABLE, quick.steps(), "");
            }
            spent = quick.steps();
        }
        PartitionResult full = new Search(key, ops, maxStepsPerKey).run();
        return new PartitionResult(key, ops.size(), full.verdict(), spent + full.steps(), full.explanation());
    }

    private static List<Operation> withoutUnobservedUnknownWrites(List<Operation> ops) {
        Set<String> observed = new HashSet<>();
        for (Operation op : ops) {
            if (op.output() instanceof KvOutput.Read read && read.value() != null) {
                observed.add(read.value());
            }
            if (op.input() instanceof KvInput.Cas cas && cas.expected() != null
                    && op.output() instanceof KvOutput.Swapped s && s.succeeded()) {
                observed.add(cas.expected());
            }
        }
        return ops.stream().filter(op -> !op.isUnknown() || switch (op.input()) {
            case KvInput.Put put -> observed.contains(put.value());
            case KvInput.Cas cas -> observed.contains(cas.next());
            default -> true;
        }).toList();
    }

    /** A call or a response in the time-ordered, doubly linked event list. */
    private static final class Event {
        final int op;
        final boolean call;
        final long time;
        Event match;
        Event prev;
        Event next;

        Event(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    /**
     * A (set of linearized operations, state) pair, the set as a 128-bit Zobrist hash: the XOR of
     * two random 64-bit words per member. Updating it is O(1) where copying a bit set is O(n).
     * Two different sets collide with probability about 2^-128 per pair, far below any other
     * source of error here.
     */
    private record Memo<S>(long setHashHigh, long setHashLow, S state) {
    }

    private record Frame<S>(Event call, S stateBefore) {
    }

    /** One backtracking search over one key's operations. Not reusable. */
    private final class Search {
        private final String key;
        private final List<Operation> ops;
        private final long budget;
        private final Event head = new Event(-1, false, Long.MIN_VALUE);
        private final long[] zobristHigh;
        private final long[] zobristLow;

        // the deepest point reached, for explaining a violation
        private int deepest = -1;
        private String deepestExplanation = "";

        Search(String key, List<Operation> ops, long budget) {
            this.key = key;
            this.ops = ops;
            this.budget = budget;
            SplittableRandom random = new SplittableRandom(0x6b766f72756dL);
            this.zobristHigh = random.longs(ops.size()).toArray();
            this.zobristLow = random.longs(ops.size()).toArray();
            List<Event> events = new ArrayList<>(2 * ops.size());
            for (int i = 0; i < ops.size(); i++) {
                Operation op = ops.get(i);
                Event call = new Event(i, true, op.invokedNanos());
                Event ret = new Event(i, false, op.isUnknown() ? Long.MAX_VALUE : op.returnedNanos());
                call.match = ret;
                events.add(call);
                events.add(ret);
            }
            // At equal times calls go first: touching intervals count as concurrent, the
            // permissive reading, so clock granularity can never cause a false violation.
            events.sort(Comparator.comparingLong((Event e) -> e.time)
                    .thenComparing(e -> !e.call)
                    .thenComparingInt(e -> e.op));
            Event prev = head;
            for (Event e : events) {
                prev.next = e;
                e.prev = prev;
                prev = e;
            }
        }

        PartitionResult run() {
            int knownLeft = (int) ops.stream().filter(op -> !op.isUnknown()).count();
            long setHigh = 0;
            long setLow = 0;
            Set<Memo<S>> seen = new HashSet<>();
            Deque<Frame<S>> stack = new ArrayDeque<>();
            S state = model.initial();
            Event event = head.next;
            long steps = 0;
            while (knownLeft > 0) {
                if (++steps > budget) {
                    return result(Verdict.UNKNOWN, steps, "search budget exceeded (" + budget
                            + " steps for " + ops.size() + " operations); rerun with a larger budget or a shorter history");
                }
                if (event.call) {
                    Operation op = ops.get(event.op);
                    Model.Step<S> step = model.step(state, op);
                    if (step.accepted()) {
                        long high = setHigh ^ zobristHigh[event.op];
                        long low = setLow ^ zobristLow[event.op];
                        if (seen.add(new Memo<>(high, low, step.next()))) {
                            stack.push(new Frame<>(event, state));
                            state = step.next();
                            setHigh = high;
                            setLow = low;
                            if (!op.isUnknown()) {
                                knownLeft--;
                            }
                            lift(event);
                            event = head.next;
                            continue;
                        }
                    }
                    event = event.next;
                } else {
                    // The response of a call we have not placed: it must go earlier. Backtrack.
                    noteDeadEnd(stack, state, event);
                    if (stack.isEmpty()) {
                        return result(Verdict.NOT_LINEARIZABLE, steps, deepestExplanation);
                    }
                    Frame<S> top = stack.pop();
                    state = top.stateBefore();
                    setHigh ^= zobristHigh[top.call().op];
                    setLow ^= zobristLow[top.call().op];
                    if (!ops.get(top.call().op).isUnknown()) {
                        knownLeft++;
                    }
                    unlift(top.call());
                    event = top.call().next;
                }
            }
            return result(Verdict.LINEARIZABLE, steps, "");
        }

        private PartitionResult result(Verdict verdict, long steps, String explanation) {
            return new PartitionResult(key, ops.size(), verdict, steps, explanation);
        }

        /** Removes a call and its response from the list: the operation is linearized. */
        private void lift(Event call) {
            call.prev.next = call.next;
            if (call.next != null) {
                call.next.prev = call.prev;
            }
            Event ret = call.match;
            ret.prev.next = ret.next;
            if (ret.next != null) {
                ret.next.prev = ret.prev;
            }
        }

        /** Exactly undoes {@link #lift}; lifts are undone in reverse order, so the links are intact. */
        private void unlift(Event call) {
            Event ret = call.match;
            ret.prev.next = ret;
            if (ret.next != null) {
                ret.next.prev = ret;
            }
            call.prev.next = call;
            if (call.next != null) {
                call.next.prev = call;
            }
        }

        private void noteDeadEnd(Deque<Frame<S>> stack, S state, Event blockedResponse) {
            if (stack.size() <= deepest) {
                return;
            }
            deepest = stack.size();
            StringBuilder tail = new StringBuilder();
            Iterator<Frame<S>> it = stack.iterator(); // most recent first
            List<String> last = new ArrayList<>();
            for (int i = 0; i < 5 && it.hasNext(); i++) {
                last.addFirst(ops.get(it.next().call().op).toString());
            }
            last.forEach(s -> tail.append("\n      ").append(s));
            deepestExplanation = "the longest linearizable prefix has " + deepest + " of " + ops.size()
                    + " operations" + (last.isEmpty() ? "" : ", ending with:" + tail)
                    + "\n    in state " + (state == null ? "<absent>" : state)
                    + " no pending operation explains the response of:\n      " + ops.get(blockedResponse.op);
        }
    }
}
