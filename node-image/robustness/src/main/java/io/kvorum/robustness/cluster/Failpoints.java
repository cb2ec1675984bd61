package io.kvorum.robustness.cluster;

/**
 * The failpoints the harness expects the kvorum node to read from the environment variable
 * {@value #ENV} at start. The node compiles them in, inert unless the variable names them.
 *
 * <p>Syntax: {@code name=action[;name=action...]}, action one of {@code sleep(<n>ms)},
 * {@code panic} (exit at once, as a crash), {@code error} (fail that step). Example:
 * {@code KVORUM_FAILPOINTS="wal.beforeFsync=sleep(200ms)"}.
 */
public final class Failpoints {

    public static final String ENV = "KVORUM_FAILPOINTS";

    public static final String WAL_BEFORE_FSYNC = "wal.beforeFsync";
    public static final String WAL_AFTER_FSYNC = "wal.afterFsync";
    public static final String APPLY_BEFORE = "apply.before";
    public static final String APPLY_AFTER = "apply.after";
    public static final String BACKEND_BEFORE_COMMIT = "backend.beforeCommit";
    public static final String SNAPSHOT_SEND = "snapshot.send";
    public static final String SNAPSHOT_RECEIVE = "snapshot.receive";

    private Failpoints() {
    }

    /** A slow disk: every WAL fsync sleeps {@code millis} first. */
    public static String slowFsync(int millis) {
        return WAL_BEFORE_FSYNC + "=sleep(" + millis + "ms)";
    }
}
