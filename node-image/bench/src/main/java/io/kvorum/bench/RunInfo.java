package io.kvorum.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The conditions of a run, printed above the tables: when, on what machine, how fast the disk
 * makes a write durable, and how the workloads were timed.
 */
record RunInfo(Instant started, String machine, LatencySummary fsync, Profile profile,
    boolean leaderOnly) {

  /** e.g. "2 cores (AMD EPYC 7B13), 23.5 GiB RAM, Linux 6.1.0-28-amd64". */
  static String describeMachine() {
    String cpu = "unknown CPU";
    String memory = "";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
      memory = Files.readAllLines(Path.of("/proc/meminfo")).stream()
          .filter(l -> l.startsWith("MemTotal:")).findFirst()
          .map(l -> String.format(java.util.Locale.ROOT, ", %.1f GiB RAM",
              Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0)).orElse("");
    } catch (IOException | RuntimeException unreadable) {
      // not Linux, or a restricted /proc: the core count still says something
    }
    return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + ")" + memory + ", "
        + System.getProperty("os.name") + " " + System.getProperty("os.version");
  }
}
