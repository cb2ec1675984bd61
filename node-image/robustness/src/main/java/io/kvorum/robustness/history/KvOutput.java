package io.kvorum.robustness.history;

/**
 * What the client saw. {@code revision} is the etcd header revision of the response: for an
 * acknowledged write it is the revision the write created (what a watcher sees as
 * {@code mod_revision}).
 */
public sealed interface KvOutput {

    /** A put was acknowledged. */
    record Written(long revision) implements KvOutput {
        @Override
        public String toString() {
            return "ok@" + revision;
        }
    }

    /** A get returned {@code value}; {@code null} when the key does not exist. */
    record Read(String value, long revision) implements KvOutput {
        @Override
        public String toString() {
            return (value == null ? "<absent>" : value) + "@" + revision;
        }
    }

    /** A compare-and-swap txn answered; {@code succeeded} tells whether the compare held. */
    record Swapped(boolean succeeded, long revision) implements KvOutput {
        @Override
        public String toString() {
            return (succeeded ? "swapped" : "not-swapped") + "@" + revision;
        }
    }

    /** A delete was acknowledged and removed {@code count} keys (0 or 1 for one key). */
    record Deleted(long count, long revision) implements KvOutput {
        @Override
        public String toString() {
            return "deleted=" + count + "@" + revision;
        }
    }

    /**
     * The outcome is not known: the request timed out, the connection broke, or the server
     * answered an error after the request may have been proposed. Such an operation may have
     * taken effect at any moment after its invocation, or never.
     */
    record Unknown(String reason) implements KvOutput {
        @Override
        public String toString() {
            return "unknown(" + reason + ")";
        }
    }
}
