package io.kvorum.robustness.scenario;

import io.kvorum.robustness.cluster.MemberBinary;
import io.kvorum.robustness.cluster.Failpoints;
import java.time.Duration;
import io.kvorum.robustness.history.HistoryRecorder;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.Operation;
import io.kvorum.robustness.load.Endpoints;
import io.kvorum.robustness.load.KvClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The faults, each injected once while the load runs and healed before the load ends. Each
 * one checks that it took effect (a new leader was elected, the member rejoined), so a broken
 * harness cannot pass by doing nothing.
 */
public enum Scenario {
    /** SIGKILL the leader, restart it after the hold. */
    KILL_LEADER {
        @Override
        void inject(FaultContext f) {
            String leader = f.leader();
            f.cluster().kill(leader);
            f.awaitLeaderOtherThan(leader);
            f.sleep(f.hold());
            f.cluster().start(leader);
        }
    },
    /** SIGKILL a follower, restart it after the hold. */
    KILL_FOLLOWER {
        @Override
        void inject(FaultContext f) {
            String follower = f.someFollower(f.leader());
            f.cluster().kill(follower);
            f.sleep(f.hold());
            f.cluster().start(follower);
        }
    },
    /** SIGSTOP the leader for longer than the election timeout (1 s), then SIGCONT: it must step down. */
    PAUSE_LEADER {
        @Override
        void inject(FaultContext f) {
            String leader = f.leader();
            f.cluster().pause(leader);
            f.awaitLeaderOtherThan(leader);
            f.sleep(f.hold());
            f.cluster().resume(leader);
        }
    },
    /** Cut the leader off from both followers (it stays up, alone in a minority), then heal. */
    PARTITION_LEADER {
        @Override
        void inject(FaultContext f) {
            String leader = f.leader();
            f.cluster().network().isolate(leader);
            f.awaitLeaderOtherThan(leader);
            f.sleep(f.hold());
            f.cluster().network().heal();
        }
    },
    /** Drop everything the leader sends to one follower, but not the other way round, then heal. */
    ONE_WAY_DROP_FROM_LEADER {
        @Override
        void inject(FaultContext f) {
            String leader = f.leader();
            String follower = f.someFollower(leader);
            f.cluster().network().drop(leader, follower);
            f.sleep(f.hold().plus(Duration.ofSeconds(1)));
            f.cluster().network().heal();
        }
    },
    /** Restart every member once, followers first and the leader last, waiting for health in between. */
    ROLLING_RESTART {
        @Override
        void inject(FaultContext f) {
            String leader = f.leader();
            List<String> order = new ArrayList<>(f.cluster().members().stream().filter(m -> !m.equals(leader)).toList());
            order.add(leader);
            for (String m : order) {
                f.cluster().kill(m);
                f.cluster().start(m);
                f.cluster().awaitHealthy(FaultContext.RESTART_BOUND);
            }
        }
    },
    /**
     * Kvorum only: every member moves to a build one minor newer (1.0.0 -> 1.1.0), one at a time,
     * SIGTERM and start on its data dir, followers first; the leader hands its leadership to an
     * upgraded member first (MoveLeader) and goes last. While the versions are mixed the cluster
     * version must stay at the old one; once all members run the new build it must move up, on
     * every member, within the restart bound.
     */
    ROLLING_UPGRADE {
        @Override
        public String unsupportedReason(MemberBinary binary) {
            return binary instanceof MemberBinary.KvorumJar ? null
                    : name() + " needs two builds of the same server; " + binary.describe() + " is one fixed binary";
        }

        @Override
        void inject(FaultContext f) {
            var cluster = f.cluster();
            var from = (MemberBinary.KvorumJar) cluster.binaryOf(cluster.members().getFirst());
            String oldVersion = from.version();
            String newVersion = MemberBinary.KvorumJar.nextMinor(oldVersion);
            MemberBinary to = from.asVersion(newVersion, cluster.workDir().resolve("builds"));
            f.log().accept("upgrading " + oldVersion + " -> " + newVersion + " (" + to.describe() + ")");
            f.awaitClusterVersion(majorMinor(oldVersion), cluster.members());

            String leader = f.leader();
            List<String> followers = cluster.members().stream().filter(m -> !m.equals(leader)).toList();
            for (String m : followers) {
                cluster.restartWith(m, to);
                cluster.awaitHealthy(FaultContext.RESTART_BOUND);
                String mixed = cluster.clusterVersion(m);
                if (!mixed.startsWith(majorMinor(oldVersion) + ".")) {
                    throw new IllegalStateException("with " + leader + " still on " + oldVersion + ", " + m
                            + " reports cluster version " + mixed + "; a mixed cluster must stay at " + majorMinor(oldVersion));
                }
            }
            String newLeader = followers.get(f.random().nextInt(followers.size()));
            cluster.moveLeader(leader, newLeader);
            f.awaitLeaderOtherThan(leader);
            cluster.restartWith(leader, to);
            cluster.awaitHealthy(FaultContext.RESTART_BOUND);
            f.awaitClusterVersion(majorMinor(newVersion), cluster.members());
        }

        private static String majorMinor(String version) {
            String[] parts = version.split("\\.");
            return parts[0] + "." + parts[1];
        }
    },
    /** Replace a follower by an empty member of the same name (member remove, add, empty data dir). */
    REPLACE_FOLLOWER {
        @Override
        void inject(FaultContext f) {
            f.cluster().replace(f.someFollower(f.leader()));
            f.cluster().awaitHealthy(FaultContext.RESTART_BOUND);
        }
    },
    /**
     * A slow disk on every member: each WAL fsync sleeps 100 ms (failpoint), members restarted
     * one by one; then no put may be faster than that, or the failpoint did nothing.
     */
    SLOW_DISK {
        @Override
        boolean needsFailpoints() {
            return true;
        }

        @Override
        void inject(FaultContext f) {
            for (String m : f.cluster().members()) {
                f.cluster().restartWithFailpoints(m, Failpoints.slowFsync(SLOW_FSYNC_MILLIS));
                f.cluster().awaitHealthy(FaultContext.RESTART_BOUND);
            }
            Duration fastest = fastestOfFivePuts(f);
            f.log().accept("fastest of 5 puts with slow fsync: " + fastest.toMillis() + " ms");
            if (fastest.toMillis() < SLOW_FSYNC_MILLIS * 9 / 10) {
                throw new IllegalStateException("failpoint " + Failpoints.slowFsync(SLOW_FSYNC_MILLIS) + " had no effect (a put took "
                        + fastest.toMillis() + " ms): does the node read " + Failpoints.ENV + "?");
            }
        }
    };

    private static final int SLOW_FSYNC_MILLIS = 100;

    /** Every acknowledged put waits for an fsync on a majority, so none can beat a slow fsync. */
    private static Duration fastestOfFivePuts(FaultContext f) {
        try (Endpoints endpoints = new Endpoints(f.cluster().clientUrls())) {
            KvClient client = new KvClient(0, endpoints, new HistoryRecorder(), Duration.ofSeconds(5));
            Duration fastest = Duration.ofDays(1);
            for (int i = 0; i < 5; i++) {
                Operation op = client.execute(new KvInput.Put("failpoint-probe", "p" + i));
                if (!op.isUnknown()) {
                    fastest = Collections.min(List.of(fastest, Duration.ofNanos(op.returnedNanos() - op.invokedNanos())));
                }
            }
            return fastest;
        }
    }

    /** Injects the fault and heals it; throws if the fault did not take effect. */
    abstract void inject(FaultContext f);

    boolean needsFailpoints() {
        return false;
    }

    /** Null when this scenario can run on the cluster, otherwise why not. */
    public String unsupportedReason(MemberBinary binary) {
        return needsFailpoints() && !binary.supportsFailpoints()
                ? name() + " needs failpoints (" + Failpoints.ENV + "), which " + binary.describe() + " does not have" : null;
    }
}
