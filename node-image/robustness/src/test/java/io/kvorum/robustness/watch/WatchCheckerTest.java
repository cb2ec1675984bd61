package io.kvorum.robustness.watch;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WatchCheckerTest {

    private final List<Operation> ops = new ArrayList<>();

    private void put(String key, String value, long revision) {
        add(new KvInput.Put(key, value), new KvOutput.Written(revision));
    }

    private void add(KvInput in, KvOutput out) {
        long t = ops.size() * 10L;
        ops.add(new Operation(ops.size(), 0, in, out, t, t + 5));
    }

    private WatchReport check(long upTo, WatchLog... logs) {
        return new WatchChecker().check(List.of(logs), History.of(ops), upTo);
    }

    private static WatchLog log(String prefix, long from, WatchEvent... events) {
        return new WatchLog("w", prefix, from, List.of(events));
    }

    private static WatchEvent ev(String key, String value, long revision) {
        return new WatchEvent(key, value, revision);
    }

    @Test
    void completeOrderedStreamPasses() {
        put("a", "v1", 2);
        add(new KvInput.Cas("a", "v1", "v2"), new KvOutput.Swapped(true, 3));
        add(new KvInput.Cas("a", "v1", "v9"), new KvOutput.Swapped(false, 3));
        add(new KvInput.Delete("a"), new KvOutput.Deleted(1, 4));
        add(new KvInput.Delete("a"), new KvOutput.Deleted(0, 4));
        put("b", "v3", 5);
        WatchReport r = check(5, log("", 1, ev("a", "v1", 2), ev("a", "v2", 3), ev("a", null, 4), ev("b", "v3", 5)));
        assertThat(r.ok()).as(r.summary()).isTrue();
        assertThat(r.eventsChecked()).isEqualTo(4);
    }

    @Test
    void missingAcknowledgedWriteIsReported() {
        put("a", "v1", 2);
        put("a", "v2", 3);
        WatchReport r = check(3, log("a", 1, ev("a", "v1", 2)));
        assertThat(r.violations()).singleElement().asString().contains("missing put(a=v2)@3");
    }

    @Test
    void writesOutsideRangeOrBeforeStartAreNotExpected() {
        put("a", "v1", 2);
        put("b", "v2", 3);
        put("a", "v3", 4);
        assertThat(check(4, log("a", 3, ev("a", "v3", 4))).ok()).isTrue();
    }

    @Test
    void duplicateAndOutOfOrderEventsAreReported() {
        put("a", "v1", 2);
        put("a", "v2", 3);
        WatchReport dup = check(3, log("a", 1, ev("a", "v1", 2), ev("a", "v2", 3), ev("a", "v2", 3)));
        assertThat(dup.violations()).singleElement().asString().contains("delivered twice");
        WatchReport reordered = check(3, log("a", 1, ev("a", "v2", 3), ev("a", "v1", 2)));
        assertThat(reordered.violations()).singleElement().asString().contains("out of order");
    }

    @Test
    void eventThatDisagreesWithTheAcknowledgedWriteIsReported() {
        put("a", "v1", 2);
        WatchReport r = check(2, log("a", 1, ev("a", "v0", 2)));
        assertThat(r.violations()).singleElement().asString().contains("but revision 2 was acknowledged to");
    }

    @Test
    void valueNobodyWroteIsReported() {
        WatchReport r = check(0, log("a", 1, ev("a", "ghost", 7)));
        assertThat(r.violations()).singleElement().asString().contains("matches no write");
    }

    @Test
    void writeWithUnknownOutcomeMayOrMayNotAppear() {
        put("a", "v1", 2);
        add(new KvInput.Put("a", "v2"), new KvOutput.Unknown("timeout"));
        put("a", "v3", 4);
        assertThat(check(4, log("a", 1, ev("a", "v1", 2), ev("a", "v2", 3), ev("a", "v3", 4))).ok()).isTrue();
        assertThat(check(4, log("a", 1, ev("a", "v1", 2), ev("a", "v3", 4))).ok()).isTrue();
    }

    @Test
    void watchersMustAgreeOnEachRevision() {
        add(new KvInput.Put("a", "v1"), new KvOutput.Unknown("timeout"));
        add(new KvInput.Put("a", "v2"), new KvOutput.Unknown("timeout"));
        WatchReport r = new WatchChecker().check(List.of(
                new WatchLog("w1", "a", 1, List.of(ev("a", "v1", 2))),
                new WatchLog("w2", "a", 1, List.of(ev("a", "v2", 2)))), History.of(ops), 2);
        assertThat(r.violations()).singleElement().asString().contains("another watcher got put(a=v1)@2");
    }

    @Test
    void twoWritesAcknowledgedAtOneRevisionAreReported() {
        put("a", "v1", 2);
        put("b", "v2", 2);
        WatchReport r = check(2, log("", 1, ev("a", "v1", 2)));
        assertThat(r.violations()).anyMatch(v -> v.contains("two acknowledged writes got revision 2"));
    }
}
