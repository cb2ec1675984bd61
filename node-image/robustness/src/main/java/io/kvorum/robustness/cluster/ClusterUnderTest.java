package io.kvorum.robustness.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A real multi-process cluster on 127.0.0.1 that a test can hurt. Members are named
 * {@code m0..m(n-1)}. Every method is bounded in time and throws, with what it was waiting
 * for, when the bound passes.
 */
public interface ClusterUnderTest extends AutoCloseable {

    String describe();

    List<String> members();

    /** Client URLs of all members, in member order (including stopped ones). */
    List<String> clientUrls();

    /** The member that is leader now, asked through Maintenance.Status; empty if none answers as leader. */
    Optional<String> leader();

    /** Waits until there is a leader that every running, unpaused member agrees on, and returns it. */
    String awaitLeader(Duration timeout);

    /** Waits until every running, unpaused member serves a linearizable read. */
    void awaitHealthy(Duration timeout);

    /** Whether the member's process is alive (paused counts as alive). */
    boolean isRunning(String member);

    boolean isPaused(String member);

    /** SIGKILL: no chance to flush anything. */
    void kill(String member);

    /** Starts a stopped member again on its data dir. */
    void start(String member);

    /** SIGKILL of all members at once (a power loss), then nothing: call {@link #start} or {@link #startAll}. */
    void killAll();

    void startAll();

    /** SIGSTOP: the member freezes, its sockets stay open (a GC pause, a stuck disk). */
    void pause(String member);

    /** SIGCONT. */
    void resume(String member);

    /**
     * Replaces a member by a new, empty one of the same name: member remove, wipe its data dir,
     * member add, start it with {@code --initial-cluster-state existing}.
     */
    void replace(String member);

    /**
     * Restarts {@code member} with failpoints ({@link Failpoints}) switched on, or off with
     * an empty string.
     *
     * @throws UnsupportedOperationException if the binary has none (etcd release builds)
     */
    void restartWithFailpoints(String member, String failpoints);

    boolean supportsFailpoints();

    /** The binary {@code member} runs (or will run at its next start). */
    MemberBinary binaryOf(String member);

    /**
     * Stops {@code member} the way an operator does (SIGTERM, SIGKILL only if it has not exited
     * within a bound) and starts it again on its data dir with {@code binary}: one step of a
     * rolling upgrade.
     */
    void restartWith(String member, MemberBinary binary);

    /**
     * Hands leadership from the leader {@code from} to {@code to} (Maintenance.MoveLeader, sent to
     * {@code from}), as etcdctl move-leader does before the leader is taken down.
     */
    void moveLeader(String from, String to);

    /**
     * The cluster version {@code member} reports, {@code etcdcluster} of {@code GET /version} on
     * its client URL (like {@code 3.4.0} or {@code 1.1.0}; {@code not_decided} before the leader
     * decided); {@code unreachable} if it does not answer.
     */
    String clusterVersion(String member);

    /** Where members' data dirs and logs are; other files a fault needs may go here too. */
    java.nio.file.Path workDir();

    PeerNetwork network();

    /** Kills every member and proxy. Data dirs and logs stay for inspection. */
    @Override
    void close();
}
