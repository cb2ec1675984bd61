package io.kvorum.robustness.linearizability;

import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.util.Objects;

/**
 * One etcd key as a register: the state is its value, {@code null} when the key does not exist.
 *
 * <pre>
 * state   operation                 output         accepted?  next state
 * null    put(k=a)                  ok             yes        a
 * a       get(k)                    b              no         -
 * a       cas(k: a -> b)            not-swapped    no         -      (it must have swapped)
 * a       cas(k: &lt;absent&gt; -> b)   not-swapped    yes        a
 * a       delete(k)                 deleted=0      no         -      (the key existed)
 * a       put(k=c)                  unknown        yes        c      (if it happens here)
 * </pre>
 * Revisions are not part of the state: per-key order is all a register needs, and watch
 * checking covers revisions.
 */
public final class KvModel implements Model<String> {

    @Override
    public String initial() {
        return null;
    }

    @Override
    public Step<String> step(String state, Operation op) {
        KvOutput out = op.output();
        boolean unknown = out instanceof KvOutput.Unknown;
        return switch (op.input()) {
            case KvInput.Put put -> unknown || out instanceof KvOutput.Written
                    ? Step.to(put.value()) : mismatch(op);
            case KvInput.Get get -> {
                if (unknown) {
                    yield Step.to(state);
                }
                if (!(out instanceof KvOutput.Read read)) {
                    yield mismatch(op);
                }
                yield Objects.equals(read.value(), state) ? Step.to(state) : Step.rejected();
            }
            case KvInput.Cas cas -> {
                boolean holds = Objects.equals(state, cas.expected());
                String next = holds ? cas.next() : state;
                if (unknown) {
                    yield Step.to(next);
                }
                if (!(out instanceof KvOutput.Swapped swapped)) {
                    yield mismatch(op);
                }
                yield swapped.succeeded() == holds ? Step.to(next) : Step.rejected();
            }
            case KvInput.Delete delete -> {
                if (unknown) {
                    yield Step.to(null);
                }
                if (!(out instanceof KvOutput.Deleted deleted)) {
                    yield mismatch(op);
                }
                yield deleted.count() == (state == null ? 0 : 1) ? Step.to(null) : Step.rejected();
            }
        };
    }

    private static <S> Step<S> mismatch(Operation op) {
        throw new IllegalArgumentException("operation " + op.id() + ": output " + op.output()
                + " does not answer input " + op.input() + "; the recorder paired them wrongly");
    }
}
