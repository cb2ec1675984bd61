package io.kvorum.robustness.history;

import java.util.Objects;

/**
 * What a client asked for. Every input names exactly one key: that is what lets the
 * linearizability checker split a history into independent per-key histories.
 */
public sealed interface KvInput {

    /** The one key this operation reads or writes. */
    String key();

    /** {@code true} when the operation may change the store. */
    default boolean isWrite() {
        return !(this instanceof Get);
    }

    /** {@code put key value}. */
    record Put(String key, String value) implements KvInput {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String toString() {
            return "put(" + key + "=" + value + ")";
        }
    }

    /** {@code get key}, a linearizable read. */
    record Get(String key) implements KvInput {
        public Get {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "get(" + key + ")";
        }
    }

    /**
     * Compare-and-swap as one etcd txn: if the value of {@code key} is {@code expected}, put
     * {@code next}. {@code expected == null} means "the key does not exist" (etcd: version == 0).
     */
    record Cas(String key, String expected, String next) implements KvInput {
        public Cas {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(next, "next");
        }

        @Override
        public String toString() {
            return "cas(" + key + ": " + (expected == null ? "<absent>" : expected) + " -> " + next + ")";
        }
    }

    /** {@code del key}. */
    record Delete(String key) implements KvInput {
        public Delete {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "delete(" + key + ")";
        }
    }
}
