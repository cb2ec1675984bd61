package io.kvorum.operator.planner;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server version MAJOR.MINOR.PATCH[-pre]. Only major and minor matter to the cluster (the
 * cluster version, capabilities and join control work on MAJOR.MINOR); the patch only chooses
 * the image.
 */
public record Semver(int major, int minor, int patch, String preRelease) implements Comparable<Semver> {

  private static final Pattern FORM = Pattern.compile("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(?:\\.(0|[1-9][0-9]*))?(?:-([0-9A-Za-z.-]+))?$");

  /** Parses "1.2.3", "1.2.3-rc.1", or "1.2" (the form a cluster version may take). */
  public static Semver parse(String text) {
    Matcher m = text == null ? null : FORM.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("not a semantic version: '" + text + "' (expected MAJOR.MINOR.PATCH such as 1.2.0)");
    }
    return new Semver(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
        m.group(3) == null ? 0 : Integer.parseInt(m.group(3)), m.group(4));
  }

  public static boolean isValid(String text) {
    return text != null && FORM.matcher(text.trim()).matches();
  }

  public boolean sameMinor(Semver other) {
    return major == other.major && minor == other.minor;
  }

  public String majorMinor() {
    return major + "." + minor;
  }

  @Override
  public int compareTo(Semver o) {
    int c = Integer.compare(major, o.major);
    if (c == 0) c = Integer.compare(minor, o.minor);
    if (c == 0) c = Integer.compare(patch, o.patch);
    if (c == 0 && (preRelease == null) != (o.preRelease == null)) c = preRelease == null ? 1 : -1;
    if (c == 0 && preRelease != null) c = preRelease.compareTo(o.preRelease);
    return c;
  }

  @Override
  public String toString() {
    return major + "." + minor + "." + patch + (preRelease == null ? "" : "-" + preRelease);
  }
}
