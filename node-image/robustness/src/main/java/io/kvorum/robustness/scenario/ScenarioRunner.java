package io.kvorum.robustness.scenario;

import io.kvorum.robustness.cluster.ClusterUnderTest;
import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import io.kvorum.robustness.linearizability.CheckResult;
import io.kvorum.robustness.linearizability.LinearizabilityChecker;
import io.kvorum.robustness.load.Endpoints;
import io.kvorum.robustness.load.KvClient;
import io.kvorum.robustness.load.LoadConfig;
import io.kvorum.robustness.load.LoadGenerator;
import io.kvorum.robustness.load.Watcher;
import io.kvorum.robustness.watch.WatchChecker;
import io.kvorum.robustness.watch.WatchLog;
import io.kvorum.robustness.watch.WatchReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs one scenario on a started cluster:
 * <ol>
 *   <li>two watchers on the load's key prefix, from the current revision + 1;</li>
 *   <li>register load ({@link LoadGenerator}) for at least {@code minLoad};</li>
 *   <li>after a quarter of it, the fault, which heals itself; the load runs 1 s past it;</li>
 *   <li>then everything is healed for sure (network, paused and stopped members), the cluster
 *       must become healthy, and one more linearizable read of every key is recorded;</li>
 *   <li>the watchers must catch up with the last acknowledged write;</li>
 *   <li>the history goes to the linearizability checker, the watch logs to the watch checker;</li>
 *   <li>and both checkers must catch a bug planted in a copy of this very history
 *       ({@link CheckerSelfTest}).</li>
 * </ol>
 */
public final class ScenarioRunner {

    /** The load stops when the fault is over; this only bounds it if a fault hangs. */
    private static final Duration LOAD_CAP = Duration.ofMinutes(5);

    private ScenarioRunner() {
    }

    /**
     * @param timeline where the cluster also logs (kills, starts, network changes), so the
     *                 report shows faults and load in one time line
     */
    public static ScenarioReport run(Scenario scenario, String target, ClusterUnderTest cluster, long seed,
                                     Duration minLoad, Duration hold, Timeline timeline) throws InterruptedException {
        LoadConfig config = LoadConfig.registers(LOAD_CAP, seed);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory());
        try (Endpoints endpoints = new Endpoints(cluster.clientUrls())) {
            long startRevision = currentRevision(endpoints) + 1;
            List<Watcher> watchers = List.of(
                    new Watcher("w0", config.prefix(), startRevision, 0, endpoints, scheduler).start(),
                    new Watcher("w1", config.prefix(), startRevision, 1, endpoints, scheduler).start());
            timeline.add("cluster: " + cluster.describe() + "; watchers from revision " + startRevision);
            LoadGenerator load = new LoadGenerator(config, endpoints).start();
            long loadStarted = System.nanoTime();
            timeline.add("load started: " + config.clients() + " clients on " + config.keys() + " keys");

            FaultContext ctx = new FaultContext(cluster, new Random(seed), timeline::add, hold);
            Thread.sleep(minLoad.dividedBy(4));
            String faultError = null;
            timeline.add("fault " + scenario + " begins");
            try {
                scenario.inject(ctx);
                timeline.add("fault " + scenario + " healed");
            } catch (RuntimeException e) {
                faultError = e.getMessage();
                timeline.add("fault failed: " + e);
            }
            long loadEnd = Math.max(loadStarted + minLoad.toNanos(), System.nanoTime() + Duration.ofSeconds(1).toNanos());
            Thread.sleep(Duration.ofNanos(Math.max(0, loadEnd - System.nanoTime())));
            load.stop();
            load.awaitHistory();
            timeline.add("load stopped");

            healEverything(cluster, timeline);
            History history = load.readAllKeys();
            long finalReadsFailed = load.unreadKeys();
            long lastWrite = lastAcknowledgedRevision(history);
            awaitWatchers(watchers, lastWrite, timeline);
            watchers.forEach(Watcher::close);

            long checkStart = System.nanoTime();
            CheckResult lin = LinearizabilityChecker.forKv().check(history);
            List<WatchLog> logs = new ArrayList<>(watchers.stream().map(Watcher::log).toList());
            WatchReport watch = new WatchChecker().check(logs, history, lastWrite);
            long checkMillis = (System.nanoTime() - checkStart) / 1_000_000;
            String selfTestProblem = CheckerSelfTest.run(history, logs, lastWrite);
            timeline.add("checked: " + lin.verdict() + ", watch " + (watch.ok() ? "ok" : "violations")
                    + "; watcher reconnects " + watchers.stream().map(w -> Long.toString(w.reconnects())).toList());
            return new ScenarioReport(scenario.name(), target, seed, history, finalReadsFailed, lin, watch,
                    checkMillis, faultError, selfTestProblem, timeline.lines());
        } finally {
            scheduler.shutdownNow();
        }
    }

    /** Whatever the fault left behind: heal the network, start every member, wait for health. */
    static void healEverything(ClusterUnderTest cluster, Timeline timeline) {
        cluster.network().heal();
        for (String m : cluster.members()) {
            if (cluster.isPaused(m)) {
                cluster.resume(m);
            } else if (!cluster.isRunning(m)) {
                cluster.start(m);
            }
        }
        cluster.awaitHealthy(FaultContext.RESTART_BOUND);
        timeline.add("cluster healthy, leader " + cluster.awaitLeader(FaultContext.RESTART_BOUND));
    }

    private static long currentRevision(Endpoints endpoints) {
        KvClient probe = new KvClient(-1, endpoints, new io.kvorum.robustness.history.HistoryRecorder(), Duration.ofSeconds(5));
        Operation op = probe.execute(new KvInput.Get("probe"));
        if (op.output() instanceof KvOutput.Read r) {
            return r.revision();
        }
        throw new IllegalStateException("cannot read the current revision before the scenario: " + op.output());
    }

    private static long lastAcknowledgedRevision(History history) {
        long last = 0;
        for (Operation op : history.operations()) {
            long rev = switch (op.output()) {
                case KvOutput.Written w -> w.revision();
                case KvOutput.Swapped s when s.succeeded() -> s.revision();
                case KvOutput.Deleted d when d.count() > 0 -> d.revision();
                default -> 0;
            };
            last = Math.max(last, rev);
        }
        return last;
    }

    private static void awaitWatchers(List<Watcher> watchers, long revision, Timeline timeline) throws InterruptedException {
        long deadline = System.nanoTime() + FaultContext.RESTART_BOUND.toNanos();
        while (System.nanoTime() < deadline && watchers.stream().anyMatch(w -> w.lastRevision() < revision)) {
            Thread.sleep(100);
        }
        timeline.add("watchers at revisions " + watchers.stream().map(w -> Long.toString(w.lastRevision())).toList()
                + ", last acknowledged write " + revision);
    }
}
