package io.kvorum.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The memory lines of {@code /proc/<pid>/status}: VmRSS (resident now) and VmHWM (the peak
 * resident size since the process started, kept by the kernel, so no sample can miss a spike).
 */
record ProcStatus(long rssKiB, long peakRssKiB) {

  static Optional<ProcStatus> read(long pid) {
    try {
      return Optional.of(parse(Files.readString(Path.of("/proc", Long.toString(pid), "status"))));
    } catch (IOException | IllegalArgumentException gone) {
      return Optional.empty();
    }
  }

  /** Parses lines such as {@code "VmHWM:\t  123456 kB"}. */
  static ProcStatus parse(String status) {
    long rss = -1;
    long hwm = -1;
    for (String line : status.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        rss = kib(line);
      } else if (line.startsWith("VmHWM:")) {
        hwm = kib(line);
      }
    }
    if (rss < 0 || hwm < 0) {
      throw new IllegalArgumentException("no VmRSS/VmHWM lines in process status");
    }
    return new ProcStatus(rss, hwm);
  }

  private static long kib(String line) {
    String[] parts = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
    if (parts.length != 2 || !parts[1].equals("kB")) {
      throw new IllegalArgumentException("unexpected status line '" + line + "'");
    }
    return Long.parseLong(parts[0]);
  }
}
