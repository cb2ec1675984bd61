package io.kvorum.robustness.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvorum.robustness.cluster.ProcessCluster;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Whole-cluster SIGKILL/restart cycles under writes ({@link Profile#durabilityCycles()}: a few
 * in the short profile, 100 in the long one); every acknowledged write must survive.
 */
class CrashDurabilityIT {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Target.class)
    void everyAcknowledgedWriteSurvivesRepeatedPowerLoss(Target target) throws Exception {
        String unavailable = target.unavailableReason();
        assumeTrue(unavailable == null, unavailable);
        String targets = System.getProperty("robustness.targets", "").trim();
        assumeTrue(targets.isEmpty() || targets.contains(target.name()), "not in -Drobustness.targets=" + targets);

        Profile profile = Profile.current();
        Path dir = FaultScenariosIT.workDir().resolve(target.name().toLowerCase() + "-crash-durability");
        Timeline timeline = new Timeline();
        CrashDurability.Report report;
        try (ProcessCluster cluster = ProcessCluster.start(target.binary(), 3, dir, timeline::add, FaultContext.START_BOUND)) {
            report = CrashDurability.run(cluster, profile.durabilityCycles(), profile.seeds().getFirst(), timeline);
        } catch (RuntimeException e) {
            System.out.println("crash durability aborted: " + e.getMessage() + "\n  timeline:\n    "
                    + String.join("\n    ", timeline.lines()));
            throw e;
        }
        System.out.println(report.details());
        FaultScenariosIT.appendRow(String.format("| CRASH_DURABILITY x%d | %s | %d | %d | %d | %d | %s | - | - | %s |",
                report.cycles(), target, profile.seeds().getFirst(), report.acknowledged() + report.unknown(),
                report.acknowledged(), report.unknown(), report.missing().size() + " lost, " + report.invented().size() + " invented",
                report.passed() ? "PASS" : "FAIL"));
        assertThat(report.passed()).as(report.details()).isTrue();
        FaultScenariosIT.discardPassedRun(dir);
    }
}
