package io.kvorum.bench;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The verdict and figures of one {@code etcdctl check perf --load=X}, parsed from its output:
 *
 * <pre>
 * PASS: Throughput is 974 writes/s
 * PASS: Slowest request took 0.468174s
 * PASS: Stddev is 0.028241s
 * PASS
 * </pre>
 *
 * A failing check prints e.g. {@code FAIL: Throughput too low: 6491 writes/s} or {@code Slowest
 * request took too long: 0.786915s} and ends with {@code FAIL}.
 *
 * @param verdict "PASS", "FAIL", or "ERROR" when etcdctl printed no verdict (it failed to run)
 * @param cpu the CPU time etcdctl and the members used during the check; null if not measured
 */
record CheckPerfResult(String load, String verdict, OptionalDouble writesPerSecond,
    OptionalDouble slowestSeconds, OptionalDouble stddevSeconds, String output, CpuUse cpu) {

  /**
   * CPU seconds used during one check: by etcdctl (the load generator) and by all members
   * together. Against the machine's budget (cores x duration) this says what bounds the writes.
   */
  record CpuUse(double clientSeconds, double membersSeconds) {}

  CheckPerfResult withCpu(CpuUse used) {
    return new CheckPerfResult(load, verdict, writesPerSecond, slowestSeconds, stddevSeconds,
        output, used);
  }

  private static final Pattern THROUGHPUT =
      Pattern.compile("Throughput (?:is|too low:) (\\d+(?:\\.\\d+)?) writes/s");
  private static final Pattern SLOWEST =
      Pattern.compile("Slowest request took(?: too long:)? (\\d+(?:\\.\\d+)?)s");
  private static final Pattern STDDEV =
      Pattern.compile("Stddev (?:is|too high:) (\\d+(?:\\.\\d+)?)s");
  private static final Pattern VERDICT = Pattern.compile("(?m)^(PASS|FAIL)\\s*$");

  static CheckPerfResult parse(String load, String output) {
    Matcher verdict = VERDICT.matcher(output.replace('\r', '\n'));
    String last = null;
    while (verdict.find()) {
      last = verdict.group(1);
    }
    return new CheckPerfResult(load, last == null ? "ERROR" : last, number(THROUGHPUT, output),
        number(SLOWEST, output), number(STDDEV, output), output, null);
  }

  private static OptionalDouble number(Pattern pattern, String output) {
    Matcher m = pattern.matcher(output);
    return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
  }
}
