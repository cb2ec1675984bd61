package io.kvorum.operator.planner;

import java.util.Optional;

/**
 * Which version changes the operator may roll, following the node's join control: a member
 * refuses to join a cluster whose version is more than one minor behind it, and a member older
 * than the cluster version can never join again.
 *
 * <pre>
 * running  target   verdict
 * 1.0.0    1.0.3    allowed (patch: the cluster version does not move)
 * 1.0.3    1.0.1    allowed (patch down: same cluster version)
 * 1.0.0    1.1.0    allowed (one minor up)
 * 1.0.0    1.2.0    refused: one minor at a time, go to 1.1.x first
 * 1.1.0    1.0.0    refused: downgrade after a completed upgrade (only while mixed: roll back)
 * 1.4.0    2.0.0    refused: major versions differ
 * </pre>
 * Rolling back while the cluster is mixed (some members already on the target, the cluster
 * version still the old one) is not a path question: {@link UpgradePlanner} handles it by
 * reversing the upgrade in progress.
 */
public final class VersionPath {

  private VersionPath() {
  }

  /** Empty when running → target may be rolled; otherwise why not, and what to do instead. */
  public static Optional<String> refusal(String running, String target) {
    Semver from;
    Semver to;
    try {
      from = Semver.parse(running);
      to = Semver.parse(target);
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
    if (from.major() != to.major()) {
      return Optional.of("cannot change the major version (" + from + " -> " + to + "): majors differ in their protocol; "
          + "set spec.version back to " + running);
    }
    if (to.minor() > from.minor() + 1) {
      return Optional.of("cannot skip minor versions (" + from + " -> " + to + "): upgrade one minor at a time, to "
          + from.major() + "." + (from.minor() + 1) + ".x first");
    }
    if (to.minor() < from.minor()) {
      return Optional.of("cannot downgrade " + from + " -> " + to + " after the upgrade completed: the cluster version is "
          + from.majorMinor() + " and members older than it are refused; set spec.version back to " + running);
    }
    return Optional.empty();
  }
}
