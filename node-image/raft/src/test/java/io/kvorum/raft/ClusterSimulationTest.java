package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link ClusterSimulation} for many seeds: 3 members for even seeds, 5 for odd ones.
 *
 * <ul>
 *   <li>{@code -Draft.sim.seeds=N} runs N seeds (default 1000) starting at {@code
 *       -Draft.sim.first=F} (default 1);
 *   <li>{@code -Draft.sim.seed=S} replays exactly seed S.
 * </ul>
 *
 * A failing seed is reported with the members' state, the last events and the replay command.
 */
class ClusterSimulationTest {

  @Test
  void safetyAndLivenessUnderDropsDelaysDuplicatesPartitionsAndCrashes() {
    String single = System.getProperty("raft.sim.seed");
    long first = single != null ? Long.parseLong(single)
        : Long.getLong("raft.sim.first", 1);
    int count = single != null ? 1 : Integer.getInteger("raft.sim.seeds", 1000);
    Map<String, Integer> totals = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    long start = System.nanoTime();
    for (long seed = first; seed < first + count; seed++) {
      ClusterSimulation sim = new ClusterSimulation(seed);
      try {
        sim.run();
      } catch (AssertionError e) {
        failures.add(e.getMessage());
        if (failures.size() >= 3) {
          break;
        }
      }
      sim.stats.forEach((k, v) -> totals.merge(k, v, Integer::sum));
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("raft simulation: %d seeds from %d in %d ms; %s%n", count, first, millis,
        totals);
    assertThat(failures).as("failing seeds").isEmpty();
    // The faults must actually have happened, or the run proves little.
    if (count >= 100) {
      assertThat(totals).containsKeys("crashes", "partitions", "snapshots sent", "compactions",
          "conf changes applied", "reads answered", "duplicates");
    }
  }
}
