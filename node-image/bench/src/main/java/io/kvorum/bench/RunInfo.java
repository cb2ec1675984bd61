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

  /**
   * The 1-, 5- and 15-minute load averages, e.g. "0.52 0.61 0.70": other work on the machine
   * while a cluster is measured makes its figures worse, so the report shows it.
   */
  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException unreadable) {
      return "unknown";
    }
  }

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
