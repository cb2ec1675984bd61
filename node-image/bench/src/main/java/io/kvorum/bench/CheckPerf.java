package io.kvorum.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/** Runs the real {@code etcdctl check perf} against a cluster and keeps its verdict. */
final class CheckPerf {

  /** A check runs for 60 s; leave room for connecting and cleaning up its keys. */
  private static final long TIMEOUT_SECONDS = 150;

  private CheckPerf() {}

  /**
   * Runs one check; etcdctl's whole output is kept in {@code log}. {@code membersCpuSeconds}
   * reads the members' CPU time so far; the difference over the check goes into the result.
   */
  static CheckPerfResult run(Path etcdctl, String endpoints, String load, Path log,
      DoubleSupplier membersCpuSeconds) throws IOException, InterruptedException {
    Optional<ProcCpu> runnerBefore = ProcCpu.self();
    double membersBefore = membersCpuSeconds.getAsDouble();
    // A fresh prefix per load: check perf refuses a prefix that still holds keys.
    ProcessBuilder builder = new ProcessBuilder(List.of(etcdctl.toString(),
        "--endpoints=" + endpoints, "check", "perf", "--load=" + load,
        "--prefix=/etcdctl-check-perf-" + load + "/", "--auto-compact=true"))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().put("ETCDCTL_API", "3");
    Process process = builder.start();
    process.getOutputStream().close();
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      return new CheckPerfResult(load, "ERROR", OptionalDouble.empty(), OptionalDouble.empty(),
          OptionalDouble.empty(), "etcdctl check perf did not finish within " + TIMEOUT_SECONDS
          + " s", null);
    }
    double members = membersCpuSeconds.getAsDouble() - membersBefore;
    Optional<ProcCpu> runnerAfter = ProcCpu.self();
    CheckPerfResult result = CheckPerfResult.parse(load, Files.readString(log));
    if (runnerBefore.isEmpty() || runnerAfter.isEmpty()) {
      return result;
    }
    double client = runnerAfter.get().childrenCpuSeconds()
        - runnerBefore.get().childrenCpuSeconds();
    return result.withCpu(new CheckPerfResult.CpuUse(client, members));
  }
}
