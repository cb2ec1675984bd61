package io.kvorum.robustness.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvorum.robustness.cluster.MemberBinary;
import io.kvorum.robustness.cluster.ProcessCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link Scenario} against a fresh 3-member cluster under register load, once per seed of
 * the {@link Profile}, for each {@link Target}. Zero violations is the only pass. Each run's
 * report goes to stdout and one row per run to {@code target/robustness/results.md}.
 *
 * <p>Narrow a run with {@code -Drobustness.scenarios=KILL_LEADER,PAUSE_LEADER} and
 * {@code -Drobustness.seeds=7} and {@code -Drobustness.targets=ETCD}.
 */
class FaultScenariosIT {

    static final Profile PROFILE = Profile.current();

    static Stream<Arguments> runs() {
        List<Arguments> out = new ArrayList<>();
        String only = System.getProperty("robustness.scenarios", "").trim();
        String targets = System.getProperty("robustness.targets", "").trim();
        for (Target target : Target.values()) {
            if (!targets.isEmpty() && !List.of(targets.split(",")).contains(target.name())) {
                continue;
            }
            for (Scenario scenario : Scenario.values()) {
                if (!only.isEmpty() && !List.of(only.split(",")).contains(scenario.name())) {
                    continue;
                }
                for (long seed : PROFILE.seedsFor(scenario, !System.getProperty("robustness.seeds", "").isBlank())) {
                    out.add(Arguments.of(target, scenario, seed));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("runs")
    void scenarioUnderLoadIsLinearizable(Target target, Scenario scenario, long seed) throws Exception {
        String unavailable = target.unavailableReason();
        assumeTrue(unavailable == null, unavailable);
        MemberBinary binary = target.binary();
        String unsupported = scenario.unsupportedReason(binary);
        assumeTrue(unsupported == null, unsupported);

        Path dir = workDir().resolve(target.name().toLowerCase() + "-" + scenario.name().toLowerCase() + "-" + seed);
        Timeline timeline = new Timeline();
        ScenarioReport report;
        try (ProcessCluster cluster = ProcessCluster.start(binary, 3, dir, timeline::add, FaultContext.START_BOUND)) {
            report = ScenarioRunner.run(scenario, target.name(), cluster, seed, PROFILE.load(), Duration.ofSeconds(2), timeline);
        }
        System.out.println(report.details());
        appendRow(report.row());
        assertThat(report.passed()).as(report.details()).isTrue();
        discardPassedRun(dir);
    }

    /**
     * Removes the data dirs and logs of a run that passed: 150-370 MB each (etcd preallocates
     * its WAL), several GB for a whole pass. A failed run keeps them for inspection.
     */
    static void discardPassedRun(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static Path workDir() {
        return Path.of(System.getProperty("robustness.workDir", "target/robustness"));
    }

    static synchronized void appendRow(String row) throws IOException {
        Path results = workDir().resolve("results.md");
        Files.createDirectories(results.getParent());
        if (!Files.exists(results)) {
            Files.writeString(results, "| scenario | target | seed | ops | acknowledged | unknown | linearizability | watch | check time | result |\n"
                    + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        }
        Files.writeString(results, row + "\n", StandardOpenOption.APPEND);
    }
}
