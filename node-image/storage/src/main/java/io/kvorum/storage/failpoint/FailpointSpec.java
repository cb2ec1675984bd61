package io.kvorum.storage.failpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses a failpoint specification: {@code name=action[;name=action...]}.
 *
 * <p>An action is {@code sleep(<n>ms)}, {@code panic} or {@code error}, optionally prefixed
 * with {@code <n>*} to fire on the first {@code n} hits only. Blanks around terms are ignored,
 * as is an empty term (a trailing {@code ;}). Examples:
 *
 * <pre>
 * wal.beforeFsync=sleep(100ms)                     every WAL fsync waits 100 ms first
 * wal.afterFsync=1*panic                           crash right after the first WAL fsync
 * backend.beforeCommit=error;snapshot.send=sleep(5ms)
 * </pre>
 *
 * <p>Every name must be one of {@link Failpoints#NAMES}, so a typo fails at start instead of
 * silently injecting nothing; a name may appear once.
 */
final class FailpointSpec {
  static final String SYNTAX = "expected name=action[;name=action...], action sleep(<n>ms), "
      + "panic or error, optionally prefixed by <n>* to fire on the first n hits only, "
      + "e.g. wal.beforeFsync=sleep(100ms);wal.afterFsync=1*panic";

  private static final Pattern ACTION =
      Pattern.compile("(?:(\\d{1,9})\\*)?(?:sleep\\((\\d{1,9})ms\\)|(panic)|(error))");

  private FailpointSpec() {}

  /**
   * @param source where the spec came from, named in errors (e.g. {@code KVORUM_FAILPOINTS})
   * @return the failpoints by name; empty for a blank spec
   * @throws IllegalArgumentException naming the source, the bad term, what is wrong and the syntax
   */
  static Map<String, Failpoint> parse(String spec, String source) {
    Map<String, Failpoint> points = new LinkedHashMap<>();
    for (String raw : spec.split(";", -1)) {
      String term = raw.strip();
      if (term.isEmpty()) {
        continue;
      }
      int eq = term.indexOf('=');
      if (eq < 0) {
        throw malformed(source, term, "no '=' between the failpoint name and its action");
      }
      String name = term.substring(0, eq).strip();
      String action = term.substring(eq + 1).strip();
      if (!Failpoints.NAMES.contains(name)) {
        throw malformed(source, term, "unknown failpoint '" + name + "' (known: "
            + String.join(", ", Failpoints.NAMES) + ")");
      }
      Matcher m = ACTION.matcher(action);
      if (!m.matches()) {
        throw malformed(source, term, "unknown action '" + action + "'");
      }
      long times = m.group(1) == null ? -1 : Long.parseLong(m.group(1));
      if (times == 0) {
        throw malformed(source, term, "0* would never fire; leave the failpoint out instead");
      }
      Action a = m.group(2) != null ? new Action.Sleep(Long.parseLong(m.group(2)))
          : m.group(3) != null ? new Action.Panic() : new Action.Error();
      if (points.putIfAbsent(name, new Failpoint(name, a, times)) != null) {
        throw malformed(source, term, "failpoint '" + name + "' is set twice");
      }
    }
    return Collections.unmodifiableMap(points);
  }

  private static IllegalArgumentException malformed(String source, String term, String what) {
    return new IllegalArgumentException(source + ": bad failpoint '" + term + "': " + what
        + "; " + SYNTAX);
  }
}
