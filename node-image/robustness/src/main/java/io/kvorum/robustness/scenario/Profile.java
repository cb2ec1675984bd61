package io.kvorum.robustness.scenario;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How long and how often: {@code -Drobustness.profile=short} (the default, for CI: a few
 * seconds of load per scenario) or {@code long}.
 *
 * @param load            load duration per scenario run
 * @param seeds           each scenario runs once per seed
 * @param durabilityCycles whole-cluster SIGKILL/restart cycles in the crash durability test
 */
public record Profile(String name, Duration load, List<Long> seeds, int durabilityCycles) {

    public static final Profile SHORT = new Profile("short", Duration.ofSeconds(6), List.of(1L, 2L), 5);
    public static final Profile LONG = new Profile("long", Duration.ofSeconds(20), List.of(1L, 2L, 3L, 4L, 5L), 100);

    /**
     * The seeds {@code scenario} runs with. A rolling upgrade restarts every member on a copied
     * 120 MB jar (~80 s a run on a busy 2-core machine), so the short profile runs it on the first
     * seed only; the long profile, and {@code -Drobustness.seeds}, run it on all.
     */
    public List<Long> seedsFor(Scenario scenario, boolean seedsGivenExplicitly) {
        return scenario == Scenario.ROLLING_UPGRADE && this.name.equals(SHORT.name) && !seedsGivenExplicitly
                ? seeds.subList(0, 1) : seeds;
    }

    /**
     * The profile named by {@code -Drobustness.profile}, with seeds overridden by
     * {@code -Drobustness.seeds=1,2} and crash cycles by {@code -Drobustness.cycles=20}.
     */
    public static Profile current() {
        String name = System.getProperty("robustness.profile", "short").trim().toLowerCase(Locale.ROOT);
        Profile p = switch (name) {
            case "short", "" -> SHORT;
            case "long" -> LONG;
            default -> throw new IllegalArgumentException("-Drobustness.profile=" + name + " is not a profile; use short or long");
        };
        String seeds = System.getProperty("robustness.seeds", "").trim();
        String cycles = System.getProperty("robustness.cycles", "").trim();
        try {
            return new Profile(p.name, p.load,
                    seeds.isEmpty() ? p.seeds : Arrays.stream(seeds.split(",")).map(String::trim).map(Long::parseLong).toList(),
                    cycles.isEmpty() ? p.durabilityCycles : Integer.parseInt(cycles));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Drobustness.seeds=" + seeds + " and -Drobustness.cycles=" + cycles
                    + " must be integers (seeds: a comma-separated list)", e);
        }
    }
}
