package io.kvorum.robustness.linearizability;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.util.ArrayList;
import java.util.List;

/** Builds histories by hand: {@code h.put("x", "1", 0, 10)} is a put invoked at 0 that returned at 10. */
final class Histories {
    static final long UNKNOWN = -1;

    private final List<Operation> ops = new ArrayList<>();

    Histories put(String key, String value, long from, long to) {
        return add(new KvInput.Put(key, value), to == UNKNOWN ? null : new KvOutput.Written(0), from, to);
    }

    Histories get(String key, String value, long from, long to) {
        return add(new KvInput.Get(key), new KvOutput.Read(value, 0), from, to);
    }

    Histories cas(String key, String expected, String next, boolean swapped, long from, long to) {
        return add(new KvInput.Cas(key, expected, next), to == UNKNOWN ? null : new KvOutput.Swapped(swapped, 0), from, to);
    }

    Histories delete(String key, long count, long from, long to) {
        return add(new KvInput.Delete(key), to == UNKNOWN ? null : new KvOutput.Deleted(count, 0), from, to);
    }

    Histories add(KvInput input, KvOutput output, long from, long to) {
        boolean unknown = to == UNKNOWN;
        ops.add(new Operation(ops.size(), ops.size(), input, unknown ? new KvOutput.Unknown("timeout") : output,
                from, unknown ? from : to));
        return this;
    }

    History build() {
        return History.of(ops);
    }

    CheckResult check() {
        return LinearizabilityChecker.forKv().check(build());
    }
}
