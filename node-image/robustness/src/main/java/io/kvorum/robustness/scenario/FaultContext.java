package io.kvorum.robustness.scenario;

import io.kvorum.robustness.cluster.ClusterUnderTest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/** What a fault may use: the cluster, a seeded random, the timeline log, and how long to hold a fault. */
public record FaultContext(ClusterUnderTest cluster, Random random, Consumer<String> log, Duration hold) {

    /** Election timeout of both etcd's and Kvorum's defaults (1 s) with room for a pre-vote round. */
    public static final Duration ELECTION_BOUND = Duration.ofSeconds(15);

    /**
     * How long a restarted member (or a whole restarted cluster) may take to serve again: etcd
     * needs ~2 s, a JVM member on a loaded 2-core machine up to ~45 s, three JVMs restarted at
     * once more than 60 s.
     */
    public static final Duration RESTART_BOUND = Duration.ofSeconds(150);

    /**
     * How long a fresh cluster may take to serve: three JVM members starting at once on a
     * saturated 2-core machine (load average ~30) were not ready after 60 s (2026-11-22).
     */
    public static final Duration START_BOUND = Duration.ofSeconds(180);

    public String leader() {
        return cluster.awaitLeader(ELECTION_BOUND);
    }

    public String someFollower(String leader) {
        List<String> followers = cluster.members().stream().filter(m -> !m.equals(leader)).toList();
        return followers.get(random.nextInt(followers.size()));
    }

    /**
     * Proof that a fault took effect: some member other than {@code old} becomes leader (the
     * one with the highest term among those answering). Without this check a harness whose
     * partitions do nothing would pass every scenario.
     */
    public String awaitLeaderOtherThan(String old) {
        long deadline = System.nanoTime() + ELECTION_BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            var now = cluster.leader();
            if (now.isPresent() && !now.get().equals(old)) {
                log.accept("new leader " + now.get());
                return now.get();
            }
            sleep(Duration.ofMillis(100));
        }
        throw new IllegalStateException("no member other than " + old + " became leader within " + ELECTION_BOUND
                + ": the fault did not take effect, or the cluster cannot elect");
    }

    /**
     * Waits until every one of {@code members} reports a cluster version {@code majorMinor.x}
     * (its {@code GET /version}), within {@link #RESTART_BOUND}: the leader decides the cluster
     * version from the members' versions, so it moves a little after the last member is up.
     */
    public void awaitClusterVersion(String majorMinor, List<String> members) {
        long deadline = System.nanoTime() + RESTART_BOUND.toNanos();
        java.util.Map<String, String> seen = new java.util.TreeMap<>();
        while (true) {
            members.forEach(m -> seen.put(m, cluster.clusterVersion(m)));
            if (seen.values().stream().allMatch(v -> v.startsWith(majorMinor + "."))) {
                log.accept("cluster version " + seen);
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cluster version did not become " + majorMinor + " within "
                        + RESTART_BOUND + ": members report " + seen);
            }
            sleep(Duration.ofMillis(200));
        }
    }

    public void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
