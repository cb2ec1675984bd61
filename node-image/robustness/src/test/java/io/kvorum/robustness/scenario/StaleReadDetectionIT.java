package io.kvorum.robustness.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvorum.robustness.cluster.ProcessCluster;
import io.kvorum.robustness.history.HistoryRecorder;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import io.kvorum.robustness.linearizability.CheckResult;
import io.kvorum.robustness.linearizability.LinearizabilityChecker;
import io.kvorum.robustness.linearizability.Verdict;
import io.kvorum.robustness.load.Endpoints;
import io.kvorum.robustness.load.KvClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The whole pipeline must be able to fail: on a real etcd cluster, a follower is cut off by
 * the proxies, the majority accepts a new write, and a <em>serializable</em> read (answered
 * locally, allowed to be stale) from the cut-off follower returns the old value. Recorded and
 * checked like any scenario, this history must be judged not linearizable.
 */
class StaleReadDetectionIT {

    @Test
    void serializableReadFromAnIsolatedFollowerIsCaughtAsStale() throws Exception {
        String unavailable = Target.ETCD.unavailableReason();
        assumeTrue(unavailable == null, unavailable);
        Timeline timeline = new Timeline();
        try (ProcessCluster cluster = ProcessCluster.start(Target.ETCD.binary(), 3,
                FaultScenariosIT.workDir().resolve("etcd-stale-read"), timeline::add, Duration.ofSeconds(30));
             Endpoints endpoints = new Endpoints(cluster.clientUrls())) {
            HistoryRecorder recorder = new HistoryRecorder();
            String leader = cluster.awaitLeader(Duration.ofSeconds(15));
            int leaderIndex = cluster.members().indexOf(leader);
            int followerIndex = (leaderIndex + 1) % 3;
            String follower = cluster.members().get(followerIndex);

            KvClient writer = new KvClient(0, endpoints, recorder, Duration.ofSeconds(5));
            writer.useEndpoint(leaderIndex);
            assertAcknowledged(writer.execute(new KvInput.Put("k", "old")));
            awaitValueOn(endpoints, followerIndex, "old");

            cluster.network().isolate(follower);
            writer.useEndpoint(leaderIndex);
            assertAcknowledged(writer.execute(new KvInput.Put("k", "new")));

            KvClient staleReader = new KvClient(1, endpoints, recorder, Duration.ofSeconds(5), true);
            staleReader.useEndpoint(followerIndex);
            Operation read = staleReader.execute(new KvInput.Get("k"));
            assertThat(read.output()).as("serializable read on the isolated follower " + follower)
                    .isEqualTo(new KvOutput.Read("old", ((KvOutput.Read) read.output()).revision()));

            CheckResult result = LinearizabilityChecker.forKv().check(recorder.history());
            System.out.println("stale read detection: " + result.summary());
            assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
            assertThat(result.summary()).contains("get(k) -> old");
            cluster.network().heal();
        }
    }

    private static void assertAcknowledged(Operation op) {
        assertThat(op.isUnknown()).as("write %s should be acknowledged", op).isFalse();
    }

    /** A follower applies a committed write a moment after the leader acknowledges it. */
    private static void awaitValueOn(Endpoints endpoints, int index, String value) throws InterruptedException {
        KvClient probe = new KvClient(9, endpoints, new HistoryRecorder(), Duration.ofSeconds(2), true);
        for (int i = 0; i < 100; i++) {
            probe.useEndpoint(index);
            if (probe.execute(new KvInput.Get("k")).output() instanceof KvOutput.Read r && value.equals(r.value())) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("follower " + index + " never applied k=" + value);
    }

}
