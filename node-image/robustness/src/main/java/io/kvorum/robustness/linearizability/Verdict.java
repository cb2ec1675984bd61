package io.kvorum.robustness.linearizability;

/** The answer of a linearizability check. Only {@link #LINEARIZABLE} is a pass. */
public enum Verdict {
    /** Some order of the operations, consistent with real time, explains every output. */
    LINEARIZABLE,
    /** No such order exists: the store broke its promise. */
    NOT_LINEARIZABLE,
    /** The search budget ran out before an answer: neither a pass nor a proof of a bug. */
    UNKNOWN;

    /** The worst of two verdicts: a violation anywhere is a violation overall. */
    Verdict and(Verdict other) {
        if (this == NOT_LINEARIZABLE || other == NOT_LINEARIZABLE) {
            return NOT_LINEARIZABLE;
        }
        return this == UNKNOWN || other == UNKNOWN ? UNKNOWN : LINEARIZABLE;
    }
}
