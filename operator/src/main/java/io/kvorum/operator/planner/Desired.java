package io.kvorum.operator.planner;

import java.time.Duration;

/**
 * The parts of the spec (and the resume annotation) the planner decides on.
 *
 * @param resumeAfter value of the kvorum.io/resume-upgrade annotation: the member after which a
 *                    paused upgrade may continue, or null
 * @param deletePvcOnScaleDown spec.storage.retention.whenScaled == Delete
 */
public record Desired(
    int replicas,
    String version,
    Duration healthTimeout,
    boolean pauseAfterEachMember,
    String resumeAfter,
    boolean deletePvcOnScaleDown) {
}
