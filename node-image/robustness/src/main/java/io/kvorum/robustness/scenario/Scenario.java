package io.kvorum.robustness.scenario;

import io.kvorum.robustness.cluster.MemberBinary;
import io.kvorum.robustness.cluster.Failpoints;
import java.time.Duration;
import java.util.ArrayList;
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
                f.cluster().awaitHealthy(FaultContext.ELECTION_BOUND);
            }
        }
    },
    /** Replace a follower by an empty member of the same name (member remove, add, empty data dir). */
    REPLACE_FOLLOWER {
        @Override
        void inject(FaultContext f) {
            f.cluster().replace(f.someFollower(f.leader()));
            f.cluster().awaitHealthy(Duration.ofSeconds(30));
        }
    },
    /** A slow disk on every member: each WAL fsync sleeps 100 ms (failpoint), members restarted one by one. */
    SLOW_DISK {
        @Override
        boolean needsFailpoints() {
            return true;
        }

        @Override
        void inject(FaultContext f) {
            for (String m : f.cluster().members()) {
                f.cluster().restartWithFailpoints(m, Failpoints.slowFsync(100));
                f.cluster().awaitHealthy(Duration.ofSeconds(30));
            }
        }
    };

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
