package io.kvorum.robustness.history;

import java.util.Comparator;
import java.util.List;

/**
 * An immutable history: operations ordered by invocation time, plus the count of operations
 * that definitely failed (rejected before they could take effect) and were therefore left out.
 */
public record History(List<Operation> operations, long definitelyFailed) {

    public History {
        operations = operations.stream().sorted(Comparator.comparingLong(Operation::invokedNanos)
                .thenComparingLong(Operation::id)).toList();
    }

    public static History of(List<Operation> operations) {
        return new History(operations, 0);
    }

    public long acknowledged() {
        return operations.stream().filter(op -> !op.isUnknown()).count();
    }

    public long unknown() {
        return operations.stream().filter(Operation::isUnknown).count();
    }

    public int size() {
        return operations.size();
    }
}
