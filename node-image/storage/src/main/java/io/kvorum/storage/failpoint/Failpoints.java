package io.kvorum.storage.failpoint;

import java.util.List;
import java.util.Map;

/**
 * Named failpoints at the node's storage boundaries, compiled in and inert unless enabled: the
 * counterpart of etcd's gofail, driven by the robustness harness.
 *
 * <p>At class initialisation the specification is read from the system property
 * {@value #PROPERTY} if set (in-JVM tests), else from the environment variable {@value #ENV}
 * (the harness sets it when it starts a member; syntax in {@link FailpointSpec}):
 *
 * <pre>
 * KVORUM_FAILPOINTS="wal.beforeFsync=sleep(100ms)" java -jar kvorum.jar ...
 * </pre>
 *
 * <p>A malformed specification does not stop class initialisation; it is reported by
 * {@link #checkConfiguration()}, which {@code Wal} and {@code Backend} call when they open, so a
 * member with a bad {@value #ENV} refuses to start with a message instead of running without
 * the fault the test meant to inject.
 *
 * <p>Cost when nothing is enabled: {@link #hit(String)} reads one volatile field and returns.
 */
public final class Failpoints {
  public static final String ENV = "KVORUM_FAILPOINTS";
  public static final String PROPERTY = "kvorum.failpoints";

  /** In {@code Wal.sync()}, before the segment's fsync. */
  public static final String WAL_BEFORE_FSYNC = "wal.beforeFsync";
  /** In {@code Wal.sync()}, after the segment's fsync returned: the records are durable. */
  public static final String WAL_AFTER_FSYNC = "wal.afterFsync";
  /** In the server's apply loop, before each committed entry is applied. */
  public static final String APPLY_BEFORE = "apply.before";
  /** In the server's apply loop, after each committed entry is applied. */
  public static final String APPLY_AFTER = "apply.after";
  /** In {@code ApplyBatch.commit}, right before the batch's single RocksDB write. */
  public static final String BACKEND_BEFORE_COMMIT = "backend.beforeCommit";
  /** In {@code SnapshotReader.read}, once per chunk of a backend snapshot being streamed. */
  public static final String SNAPSHOT_SEND = "snapshot.send";
  /** In {@code BackendSnapshot.restore}, before a received backend snapshot is unpacked. */
  public static final String SNAPSHOT_RECEIVE = "snapshot.receive";

  /** Every name a specification may use: the robustness harness's {@code cluster.Failpoints}. */
  public static final List<String> NAMES = List.of(WAL_BEFORE_FSYNC, WAL_AFTER_FSYNC,
      APPLY_BEFORE, APPLY_AFTER, BACKEND_BEFORE_COMMIT, SNAPSHOT_SEND, SNAPSHOT_RECEIVE);

  /** The enabled failpoints by name; null when none, so that {@link #hit} costs one read. */
  private static volatile Map<String, Failpoint> enabled;
  private static volatile Halter halter = Halter.RUNTIME;
  private static final IllegalArgumentException startupError;

  static {
    String property = System.getProperty(PROPERTY);
    String source = property != null ? "system property " + PROPERTY : ENV;
    String spec = property != null ? property : System.getenv(ENV);
    IllegalArgumentException error = null;
    if (spec != null) {
      try {
        install(FailpointSpec.parse(spec, source));
        if (enabled != null) {
          // in the member's log, so a run with injected faults is never mistaken for a clean one
          System.err.println("failpoints enabled by " + source + ": " + spec.strip());
        }
      } catch (IllegalArgumentException e) {
        error = e;
      }
    }
    startupError = error;
  }

  private Failpoints() {}

  /**
   * Triggers failpoint {@code name} if enabled: sleeps, throws a {@link FailpointException}, or
   * halts the process; otherwise does nothing.
   */
  public static void hit(String name) {
    Map<String, Failpoint> points = enabled;
    if (points == null) {
      return;
    }
    Failpoint p = points.get(name);
    if (p != null) {
      p.fire(halter);
    }
  }

  /**
   * Fails if the specification read at start was malformed.
   *
   * @throws IllegalArgumentException naming the source, the bad term, what is wrong and the syntax
   */
  public static void checkConfiguration() {
    if (startupError != null) {
      throw new IllegalArgumentException(startupError.getMessage(), startupError);
    }
  }

  /**
   * Replaces the enabled failpoints with {@code spec} (tests; the node uses {@value #ENV}).
   *
   * @throws IllegalArgumentException if {@code spec} is malformed; nothing changes then
   */
  public static void enable(String spec) {
    install(FailpointSpec.parse(spec, "failpoint spec"));
  }

  /** Disables every failpoint and restores the real halter. */
  public static void disableAll() {
    enabled = null;
    halter = Halter.RUNTIME;
  }

  /** What {@code panic} calls instead of {@link Runtime#halt(int)} (tests). */
  public static void useHalter(Halter h) {
    halter = h;
  }

  private static void install(Map<String, Failpoint> points) {
    enabled = points.isEmpty() ? null : points;
  }
}
