package io.kvorum.server.version;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A semantic version {@code major.minor.patch}, optionally with a pre-release or build suffix
 * that is kept for display but ignored in comparisons, e.g. {@code 1.1.0-SNAPSHOT} compares
 * equal to {@code 1.1.0}.
 *
 * <p>A cluster version is a server version cut to {@code major.minor} with patch 0, as etcd
 * reports it: a cluster of {@code 1.1.3} and {@code 1.1.7} members runs at {@code 1.1.0}.
 */
public record Version(int major, int minor, int patch, String suffix) implements Comparable<Version> {

  private static final Pattern SEMVER = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?([-+].*)?");

  /** @throws IllegalArgumentException when {@code s} is not {@code X.Y[.Z][-suffix]} */
  public static Version parse(String s) {
    Matcher m = SEMVER.matcher(s.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + s + "' is not a version of the form MAJOR.MINOR.PATCH");
    }
    return new Version(
        Integer.parseInt(m.group(1)),
        Integer.parseInt(m.group(2)),
        m.group(3) == null ? 0 : Integer.parseInt(m.group(3)),
        m.group(4) == null ? "" : m.group(4));
  }

  /** This version as a cluster version: {@code 1.1.3-SNAPSHOT} → {@code 1.1.0}. */
  public Version majorMinor() {
    return new Version(major, minor, 0, "");
  }

  @Override
  public int compareTo(Version o) {
    if (major != o.major) {
      return Integer.compare(major, o.major);
    }
    if (minor != o.minor) {
      return Integer.compare(minor, o.minor);
    }
    return Integer.compare(patch, o.patch);
  }

  public boolean lessThan(Version o) {
    return compareTo(o) < 0;
  }

  @Override
  public String toString() {
    return major + "." + minor + "." + patch + suffix;
  }
}
