package io.kvorum.robustness.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryRecorderTest {

    @Test
    void recordsIntervalsResultsAndUnknownOutcomes() {
        HistoryRecorder recorder = new HistoryRecorder();
        var put = recorder.invoke(0, new KvInput.Put("k", "v"));
        var get = recorder.invoke(1, new KvInput.Get("k"));
        get.ok(new KvOutput.Read("v", 2));
        put.unknown("DEADLINE_EXCEEDED");
        recorder.invoke(2, new KvInput.Delete("k")).failed();
        recorder.invoke(3, new KvInput.Get("k")); // still open: not in the history

        History h = recorder.history();
        assertThat(h.size()).isEqualTo(2);
        assertThat(h.acknowledged()).isEqualTo(1);
        assertThat(h.unknown()).isEqualTo(1);
        assertThat(h.definitelyFailed()).isEqualTo(1);
        Operation first = h.operations().getFirst();
        assertThat(first.input()).isEqualTo(new KvInput.Put("k", "v"));
        assertThat(first.output()).isEqualTo(new KvOutput.Unknown("DEADLINE_EXCEEDED"));
        Operation second = h.operations().get(1);
        assertThat(second.invokedNanos()).isGreaterThanOrEqualTo(first.invokedNanos());
        assertThat(second.returnedNanos()).isGreaterThanOrEqualTo(second.invokedNanos());
    }

    @Test
    void anInvocationCompletesOnlyOnce() {
        HistoryRecorder recorder = new HistoryRecorder();
        var call = recorder.invoke(0, new KvInput.Get("k"));
        call.ok(new KvOutput.Read(null, 1));
        assertThatThrownBy(() -> call.unknown("late error")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("completed twice");
        assertThat(recorder.history().size()).isEqualTo(1);
    }

    @Test
    void manyThreadsRecordWithoutLosingOrDuplicatingOperations() throws InterruptedException {
        HistoryRecorder recorder = new HistoryRecorder();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int client = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    recorder.invoke(client, new KvInput.Put("k", client + "-" + i)).ok(new KvOutput.Written(i));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        History h = recorder.history();
        assertThat(h.size()).isEqualTo(8000);
        assertThat(h.operations().stream().map(Operation::id).distinct().count()).isEqualTo(8000);
        for (int c = 0; c < 8; c++) {
            int client = c;
            List<Operation> mine = h.operations().stream().filter(op -> op.client() == client).toList();
            for (int i = 1; i < mine.size(); i++) {
                assertThat(mine.get(i).invokedNanos()).as("one client's operations do not overlap")
                        .isGreaterThanOrEqualTo(mine.get(i - 1).returnedNanos());
            }
        }
    }

    @Test
    void anOperationCannotReturnBeforeItWasInvoked() {
        assertThatThrownBy(() -> new Operation(1, 0, new KvInput.Get("k"), new KvOutput.Read(null, 0), 10, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("returned (5) before it was invoked (10)");
    }
}
