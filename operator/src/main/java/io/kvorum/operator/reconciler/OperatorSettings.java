package io.kvorum.operator.reconciler;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Runtime settings (application.properties, {@code kvorum.operator.*}).
 *
 * @param reachMembersByPodIp talk to members at their pod IP (works wherever the operator can
 *                            route to pods); false: through their DNS name under the peer Service
 * @param backupDir           root of the snapshot volume
 * @param busyRequeue         next look while something is in progress
 * @param idleRequeue         next look when the cluster is as specified (health drifts without events)
 */
public record OperatorSettings(boolean reachMembersByPodIp, Path backupDir, Duration busyRequeue, Duration idleRequeue) {
}
