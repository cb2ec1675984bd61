package io.kvorum.robustness.linearizability;

import io.kvorum.robustness.history.History;
import java.util.Random;

/**
 * How long the checker takes on generated histories (linearizable ones: the normal case of a
 * passing run). Not a test. Run:
 * <pre>
 * ./mvnw -B -q -pl node-image/robustness test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp node-image/robustness/target/test-classes:node-image/robustness/target/classes:$(cat node-image/robustness/target/cp.txt) \
 *   io.kvorum.robustness.linearizability.CheckerBenchmark
 * </pre>
 */
public final class CheckerBenchmark {

    private CheckerBenchmark() {
    }

    public static void main(String[] args) {
        System.out.println("| operations | keys | overlap (points 10 apart) | unknown writes | check time (median of 5) | search steps |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        int[][] cases = {{1_000, 1, 25}, {10_000, 1, 25}, {10_000, 6, 25}, {10_000, 6, 100}, {100_000, 6, 25}};
        double[] unknownShares = {0.0, 0.05};
        for (int[] c : cases) {
            for (double unknown : unknownShares) {
                History h = RandomHistoriesTest.generate(new Random(42), c[0], c[1], c[2], unknown);
                long[] times = new long[5];
                CheckResult r = null;
                for (int i = 0; i < times.length; i++) {
                    long t = System.nanoTime();
                    r = LinearizabilityChecker.forKv().check(h);
                    times[i] = System.nanoTime() - t;
                }
                java.util.Arrays.sort(times);
                long steps = r.partitions().stream().mapToLong(PartitionResult::steps).sum();
                System.out.printf("| %d | %d | ±%d | %.0f%% | %.1f ms (%s) | %d |%n", c[0], c[1], c[2], unknown * 100,
                        times[2] / 1e6, r.verdict(), steps);
            }
        }
    }
}
