package io.kvorum.robustness.watch;

/**
 * One event a watcher received: a put of {@code value}, or a delete ({@code value == null}),
 * at {@code modRevision}.
 */
public record WatchEvent(String key, String value, long modRevision) {

    public boolean isDelete() {
        return value == null;
    }

    @Override
    public String toString() {
        return (isDelete() ? "delete(" + key + ")" : "put(" + key + "=" + value + ")") + "@" + modRevision;
    }
}
