package io.kvorum.robustness.linearizability;

import io.kvorum.robustness.history.Operation;

/**
 * A sequential specification: the state of one partition (one key) and how each operation
 * changes it. States must have value semantics ({@code equals}/{@code hashCode}), because the
 * checker memoizes (set of linearized operations, state) pairs it has already explored.
 *
 * @param <S> the state; {@code null} is allowed and is an ordinary state
 */
public interface Model<S> {

    /** The state before any operation. */
    S initial();

    /**
     * Applies {@code op} to {@code state}. Returns {@link Step#rejected()} when the recorded
     * output is impossible in that state. An operation whose outcome is unknown is never
     * rejected: it does what it would do in this state.
     */
    Step<S> step(S state, Operation op);

    /** The outcome of applying one operation. */
    record Step<S>(boolean accepted, S next) {
        private static final Step<?> REJECTED = new Step<>(false, null);

        public static <S> Step<S> to(S next) {
            return new Step<>(true, next);
        }

        @SuppressWarnings("unchecked")
        public static <S> Step<S> rejected() {
            return (Step<S>) REJECTED;
        }
    }
}
