package io.kvorum.robustness.linearizability;

import static io.kvorum.robustness.linearizability.Histories.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    private static void assertLinearizable(Histories h) {
        CheckResult r = h.check();
        assertThat(r.verdict()).as(r.summary()).isEqualTo(Verdict.LINEARIZABLE);
    }

    private static CheckResult assertViolation(Histories h) {
        CheckResult r = h.check();
        assertThat(r.verdict()).as(r.summary()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        return r;
    }

    @Test
    void emptyHistoryIsLinearizable() {
        assertLinearizable(new Histories());
    }

    @Test
    void sequentialPutGetDelete() {
        assertLinearizable(new Histories()
                .get("x", null, 0, 1)
                .put("x", "a", 2, 3)
                .get("x", "a", 4, 5)
                .delete("x", 1, 6, 7)
                .get("x", null, 8, 9)
                .delete("x", 0, 10, 11));
    }

    @Test
    void concurrentWritesMayLandInEitherOrder() {
        Histories base = new Histories().put("x", "a", 0, 10).put("x", "b", 5, 15);
        assertLinearizable(copy(base).get("x", "a", 20, 25));
        assertLinearizable(copy(base).get("x", "b", 20, 25));
        // but both readers afterwards must agree on the last one
        assertViolation(copy(base).get("x", "a", 20, 25).get("x", "b", 30, 35));
    }

    @Test
    void readConcurrentWithWriteMaySeeOldOrNew() {
        assertLinearizable(new Histories().put("x", "a", 0, 1).put("x", "b", 2, 10).get("x", "a", 3, 4));
        assertLinearizable(new Histories().put("x", "a", 0, 1).put("x", "b", 2, 10).get("x", "b", 3, 4));
    }

    @Test
    void staleReadIsAViolation() {
        CheckResult r = assertViolation(new Histories()
                .put("x", "a", 0, 1)
                .put("x", "b", 2, 3)
                .get("x", "a", 4, 5));
        assertThat(r.summary()).contains("key x").contains("get(x)");
    }

    @Test
    void newThenOldReadInversionIsAViolation() {
        // b is being written; one reader sees b, a later reader sees a again.
        assertViolation(new Histories()
                .put("x", "a", 0, 1)
                .put("x", "b", 2, 20)
                .get("x", "b", 3, 4)
                .get("x", "a", 5, 6));
    }

    @Test
    void lostAcknowledgedWriteIsAViolation() {
        assertViolation(new Histories().put("x", "a", 0, 1).get("x", null, 2, 3));
    }

    @Test
    void readOfAValueNeverWrittenIsAViolation() {
        assertViolation(new Histories().put("x", "a", 0, 1).get("x", "z", 2, 3));
    }

    @Test
    void timedOutWriteMayTakeEffectLater() {
        assertLinearizable(new Histories()
                .put("x", "a", 0, UNKNOWN)
                .get("x", null, 5, 6)
                .get("x", "a", 100, 101));
    }

    @Test
    void timedOutWriteMayNeverTakeEffect() {
        assertLinearizable(new Histories()
                .put("x", "a", 0, 1)
                .put("x", "b", 2, UNKNOWN)
                .get("x", "a", 100, 101));
    }

    @Test
    void timedOutWriteCannotBeUndone() {
        // once a is visible, nothing can make the key absent again
        assertViolation(new Histories()
                .put("x", "a", 0, UNKNOWN)
                .get("x", "a", 5, 6)
                .get("x", null, 10, 11));
    }

    @Test
    void timedOutWriteCannotTakeEffectBeforeItWasInvoked() {
        assertViolation(new Histories()
                .get("x", "a", 0, 1)
                .put("x", "a", 2, UNKNOWN));
    }

    @Test
    void unobservedTimedOutWriteCanExplainAFailedCompareAndSwap() {
        // Nobody reads b, but only b explains why the cas failed: the quick search without
        // unobserved unknown writes fails and the full search must find it.
        assertLinearizable(new Histories()
                .put("x", "a", 0, 1)
                .put("x", "b", 2, UNKNOWN)
                .cas("x", "a", "c", false, 5, 6));
    }

    @Test
    void compareAndSwapSucceedsExactlyWhenTheValueMatches() {
        assertLinearizable(new Histories()
                .cas("x", null, "a", true, 0, 1)
                .cas("x", null, "b", false, 2, 3)
                .cas("x", "a", "c", true, 4, 5)
                .get("x", "c", 6, 7));
        assertViolation(new Histories().put("x", "a", 0, 1).cas("x", "a", "b", false, 2, 3));
        assertViolation(new Histories().put("x", "a", 0, 1).cas("x", "z", "b", true, 2, 3));
    }

    @Test
    void twoConcurrentCompareAndSwapsCannotBothWin() {
        assertViolation(new Histories()
                .put("x", "a", 0, 1)
                .cas("x", "a", "b", true, 2, 10)
                .cas("x", "a", "c", true, 3, 11));
        assertLinearizable(new Histories()
                .put("x", "a", 0, 1)
                .cas("x", "a", "b", true, 2, 10)
                .cas("x", "a", "c", false, 3, 11));
    }

    @Test
    void timedOutCompareAndSwapSeenLater() {
        assertLinearizable(new Histories()
                .put("x", "a", 0, 1)
                .cas("x", "a", "b", false, 2, UNKNOWN)
                .get("x", "b", 10, 11));
    }

    @Test
    void deleteCountMustMatchExistence() {
        assertViolation(new Histories().put("x", "a", 0, 1).delete("x", 0, 2, 3));
        assertViolation(new Histories().delete("x", 1, 0, 1));
        assertLinearizable(new Histories().put("x", "a", 0, 1).delete("x", 1, 2, 3).put("x", "b", 4, 5).get("x", "b", 6, 7));
    }

    @Test
    void timedOutReadsConstrainNothing() {
        Histories h = new Histories().put("x", "a", 0, 1);
        h.add(new KvInput.Get("x"), null, 2, UNKNOWN);
        assertLinearizable(h.get("x", "a", 5, 6));
    }

    @Test
    void keysAreCheckedIndependentlyAndTheBrokenOneIsNamed() {
        CheckResult r = assertViolation(new Histories()
                .put("x", "a", 0, 1).get("x", "a", 2, 3)
                .put("y", "a", 0, 1).get("y", null, 2, 3));
        assertThat(r.partitions()).extracting(PartitionResult::key, PartitionResult::verdict)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("x", Verdict.LINEARIZABLE),
                        org.assertj.core.groups.Tuple.tuple("y", Verdict.NOT_LINEARIZABLE));
        assertThat(r.summary()).contains("key y").doesNotContain("key x");
    }

    @Test
    void exhaustedBudgetAnswersUnknownInsteadOfHanging() {
        // 24 overlapping puts then a read of a value nobody wrote: proving the violation means
        // trying every subset of the puts, far more than 10 000 steps.
        Histories h = new Histories();
        for (int i = 0; i < 24; i++) {
            h.put("x", "v" + i, i, 1000 + i);
        }
        h.get("x", "never", 500, 501);
        CheckResult r = new LinearizabilityChecker<>(new KvModel(), 10_000).check(h.build());
        assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(r.summary()).contains("search budget exceeded");
    }

    @Test
    void manyConcurrentOperationsOnOneKeyAreCheckedQuickly() {
        // 2000 operations from 8 overlapping clients: memoization keeps this small.
        List<Operation> ops = new ArrayList<>();
        String value = null;
        for (int i = 0; i < 2000; i++) {
            long t = 10L * i;
            KvInput in = i % 3 == 0 ? new KvInput.Put("x", "v" + i) : new KvInput.Get("x");
            KvOutput out = in instanceof KvInput.Put p ? new KvOutput.Written(0) : new KvOutput.Read(value, 0);
            if (in instanceof KvInput.Put p) {
                value = p.value();
            }
            ops.add(new Operation(i, i % 8, in, out, t - 35, t + 35));
        }
        CheckResult r = LinearizabilityChecker.forKv().check(History.of(ops));
        assertThat(r.verdict()).as(r.summary()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void anOutputThatDoesNotAnswerItsInputIsRejectedClearly() {
        Histories h = new Histories().add(new KvInput.Get("x"), new KvOutput.Written(1), 0, 1);
        assertThatThrownBy(h::check).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not answer input get(x)");
    }

    private static Histories copy(Histories h) {
        Histories c = new Histories();
        h.build().operations().forEach(op -> c.add(op.input(), op.output(), op.invokedNanos(), op.returnedNanos()));
        return c;
    }
}
