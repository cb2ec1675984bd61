package io.kvorum.operator.planner;

import io.kvorum.operator.crd.KVClusterStatus.Phase;
import io.kvorum.operator.crd.UpgradeStatus;
import java.util.List;

/**
 * The planner's answer: one action, the upgrade progress to record, and how to describe the
 * cluster (phase, the Progressing and Degraded conditions, status.version).
 *
 * @param upgrade      status.upgrade after this step (null: no upgrade in progress)
 * @param version      status.version: the version the cluster as a whole runs
 * @param progressing  the Progressing condition (status, reason, message)
 * @param degraded     the Degraded condition; status False when healthy
 * @param events       step events the planner announces (state transitions, not actions)
 */
public record Plan(
    Action action,
    UpgradeStatus upgrade,
    String version,
    String targetVersion,
    Phase phase,
    Verdict progressing,
    Verdict degraded,
    List<Notice> events) {

  /** A condition value the planner decides: status True/False, a CamelCase reason, a message. */
  public record Verdict(boolean status, String reason, String message) {
    public static Verdict no(String reason, String message) {
      return new Verdict(false, reason, message);
    }

    public static Verdict yes(String reason, String message) {
      return new Verdict(true, reason, message);
    }
  }

  /** An Event to emit: Normal or Warning, a reason, a message. */
  public record Notice(boolean warning, String reason, String message) {
    public static Notice normal(String reason, String message) {
      return new Notice(false, reason, message);
    }

    public static Notice warning(String reason, String message) {
      return new Notice(true, reason, message);
    }
  }
}
