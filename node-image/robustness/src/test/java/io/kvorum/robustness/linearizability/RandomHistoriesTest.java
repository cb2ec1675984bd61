package io.kvorum.robustness.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Histories generated from the sequential model, so linearizable by construction: each
 * operation gets a linearization point, is applied to the model at that point, and is given
 * an interval around it. Mutating one output of a history whose intervals do not overlap (one
 * possible order) must always be caught; a read of a value never written must be caught in
 * any history.
 */
class RandomHistoriesTest {

    static Stream<Long> seeds() {
        return LongStream.rangeClosed(1, 40).boxed();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void concurrentHistoryFromTheModelIsLinearizable(long seed) {
        History h = generate(new Random(seed), 600, 4, 25, 0.1);
        CheckResult r = LinearizabilityChecker.forKv().check(h);
        assertThat(r.verdict()).as("seed %d: %s", seed, r.summary()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void concurrentHistoryWithAReadOfANeverWrittenValueIsNot(long seed) {
        Random random = new Random(seed);
        // Proving a violation means exhausting every placement of the unknown writes, which is
        // exponential in their number; 5% keeps each proof well under a second.
        History h = generate(random, 600, 4, 25, 0.05);
        List<Operation> ops = new ArrayList<>(h.operations());
        int victim = pick(random, ops, op -> op.output() instanceof KvOutput.Read);
        Operation read = ops.get(victim);
        ops.set(victim, withOutput(read, new KvOutput.Read("never-written", 0)));
        CheckResult r = LinearizabilityChecker.forKv().check(History.of(ops));
        assertThat(r.verdict()).as("seed %d: %s", seed, r.summary()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(r.summary()).contains("key " + read.key());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void sequentialHistoryWithAnyOneOutputChangedIsNot(long seed) {
        Random random = new Random(seed);
        History h = generate(random, 300, 3, 0, 0);
        List<Operation> ops = new ArrayList<>(h.operations());
        int victim = pick(random, ops, op -> !(op.input() instanceof KvInput.Put));
        Operation op = ops.get(victim);
        KvOutput wrong = switch (op.output()) {
            case KvOutput.Read read -> new KvOutput.Read(otherValue(ops, op.key(), read.value(), random), 0);
            case KvOutput.Swapped s -> new KvOutput.Swapped(!s.succeeded(), 0);
            case KvOutput.Deleted d -> new KvOutput.Deleted(1 - d.count(), 0);
            default -> throw new AssertionError(op);
        };
        ops.set(victim, withOutput(op, wrong));
        CheckResult r = LinearizabilityChecker.forKv().check(History.of(ops));
        assertThat(r.verdict()).as("seed %d, changed %s to %s: %s", seed, op, wrong, r.summary())
                .isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    /**
     * @param spread       how far (in time units) an interval reaches around its linearization
     *                     point; 0 gives a sequential history; points are 10 apart
     * @param unknownShare share of writes whose outcome is recorded as unknown; half of those
     *                     are never applied (a write that was lost before it was proposed)
     */
    static History generate(Random random, int count, int keys, int spread, double unknownShare) {
        Map<String, String> model = new HashMap<>();
        List<Operation> ops = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = "k" + random.nextInt(keys);
            String current = model.get(key);
            KvInput in = switch (random.nextInt(10)) {
                case 0, 1, 2 -> new KvInput.Put(key, "v" + i);
                case 3, 4 -> new KvInput.Cas(key, random.nextBoolean() ? current : "v" + random.nextInt(i + 1), "v" + i);
                case 5 -> new KvInput.Delete(key);
                default -> new KvInput.Get(key);
            };
            boolean unknown = in.isWrite() && random.nextDouble() < unknownShare;
            boolean applied = !unknown || random.nextBoolean();
            KvOutput out = switch (in) {
                case KvInput.Put p -> {
                    if (applied) {
                        model.put(key, p.value());
                    }
                    yield new KvOutput.Written(0);
                }
                case KvInput.Cas c -> {
                    boolean holds = java.util.Objects.equals(current, c.expected());
                    if (holds && applied) {
                        model.put(key, c.next());
                    }
                    yield new KvOutput.Swapped(holds, 0);
                }
                case KvInput.Delete d -> {
                    if (applied) {
                        model.remove(key);
                    }
                    yield new KvOutput.Deleted(current == null ? 0 : 1, 0);
                }
                case KvInput.Get g -> new KvOutput.Read(current, 0);
            };
            long point = 10L * i + 100;
            long from = point - (spread == 0 ? 4 : random.nextInt(spread + 1));
            long to = point + (spread == 0 ? 4 : random.nextInt(spread + 1));
            ops.add(new Operation(i, i % 8, in, unknown ? new KvOutput.Unknown("timeout") : out, from, to));
        }
        return History.of(ops);
    }

    private static int pick(Random random, List<Operation> ops, java.util.function.Predicate<Operation> which) {
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            if (which.test(ops.get(i)) && !ops.get(i).isUnknown()) {
                candidates.add(i);
            }
        }
        return candidates.get(random.nextInt(candidates.size()));
    }

    private static String otherValue(List<Operation> ops, String key, String correct, Random random) {
        List<String> written = new ArrayList<>();
        written.add(null);
        for (Operation op : ops) {
            if (op.key().equals(key) && op.input() instanceof KvInput.Put p) {
                written.add(p.value());
            }
        }
        written.remove(correct);
        return written.get(random.nextInt(written.size()));
    }

    private static Operation withOutput(Operation op, KvOutput output) {
        return new Operation(op.id(), op.client(), op.input(), output, op.invokedNanos(), op.returnedNanos());
    }
}
