package io.kvorum.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * CPU time from {@code /proc/<pid>/stat}: what the process used itself (utime + stime) and what
 * its children that it has waited for used (cutime + cstime). The second is how the runner
 * measures {@code etcdctl check perf}: the child's time is added to the runner's own when the
 * runner reaps it, so nothing after the last sample is lost.
 *
 * <p>Example line (fields 14-17 after the command in parentheses): {@code 4242 (etcd) S 1 ... 512
 * 88 7 3 ...} is 5.12 s user, 0.88 s system, and 0.10 s for reaped children, at the kernel's
 * fixed 100 ticks per second ({@code USER_HZ}).
 */
record ProcCpu(double cpuSeconds, double childrenCpuSeconds) {

  /** {@code USER_HZ}: the unit of the times in {@code /proc/<pid>/stat} on Linux. */
  private static final double TICKS_PER_SECOND = 100;

  static Optional<ProcCpu> read(String pid) {
    try {
      return Optional.of(parse(Files.readString(Path.of("/proc", pid, "stat"))));
    } catch (IOException | IllegalArgumentException gone) {
      return Optional.empty();
    }
  }

  /** The runner itself: its reaped children's time is {@link #childrenCpuSeconds()}. */
  static Optional<ProcCpu> self() {
    return read("self");
  }

  static ProcCpu parse(String stat) {
    // The command may hold spaces and parentheses; the fields after the last ')' are plain.
    int end = stat.lastIndexOf(')');
    if (end < 0) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line: '" + stat + "'");
    }
    String[] f = stat.substring(end + 1).trim().split("\\s+");
    // f[0] is field 3 (state), so field n is f[n - 3]
    if (f.length < 15) {
      throw new IllegalArgumentException("short /proc/<pid>/stat line: '" + stat + "'");
    }
    long utime = Long.parseLong(f[11]);
    long stime = Long.parseLong(f[12]);
    long cutime = Long.parseLong(f[13]);
    long cstime = Long.parseLong(f[14]);
    return new ProcCpu((utime + stime) / TICKS_PER_SECOND, (cutime + cstime) / TICKS_PER_SECOND);
  }
}
