package io.kvorum.operator.reconciler;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.kvorum.operator.member.GrpcMemberClient;
import io.kvorum.operator.member.MemberClient;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Wires the operator's collaborators from application.properties ({@code kvorum.operator.*}). */
@Singleton
public class OperatorBeans {

  @Produces
  @Singleton
  MemberClient memberClient(
      @ConfigProperty(name = "kvorum.operator.member-call-timeout", defaultValue = "3s") Duration callTimeout,
      @ConfigProperty(name = "kvorum.operator.snapshot-timeout", defaultValue = "10m") Duration snapshotTimeout) {
    return new GrpcMemberClient(callTimeout, snapshotTimeout);
  }

  void close(@Disposes MemberClient client) {
    client.close();
  }

  @Produces
  @Singleton
  OperatorSettings settings(
      @ConfigProperty(name = "kvorum.operator.reach-members-by-pod-ip", defaultValue = "true") boolean byPodIp,
      @ConfigProperty(name = "kvorum.operator.backup-dir", defaultValue = "/var/lib/kvorum-operator/backups") Path backupDir,
      @ConfigProperty(name = "kvorum.operator.busy-requeue", defaultValue = "2s") Duration busy,
      @ConfigProperty(name = "kvorum.operator.idle-requeue", defaultValue = "15s") Duration idle) {
    return new OperatorSettings(byPodIp, backupDir, busy, idle);
  }

  @Produces
  @Singleton
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * A Lease so two operator replicas never both act (QOSDK activates it in the prod profile,
   * see quarkus.operator-sdk.activate-leader-election-for-profiles).
   */
  @Produces
  @Singleton
  LeaderElectionConfiguration leaderElection(
      @ConfigProperty(name = "kvorum.operator.leader-election.lease-name", defaultValue = "kvorum-operator") String lease,
      @ConfigProperty(name = "kvorum.operator.leader-election.lease-namespace") Optional<String> namespace) {
    return namespace.filter(ns -> !ns.isBlank())
        .map(ns -> new LeaderElectionConfiguration(lease, ns))
        .orElseGet(() -> new LeaderElectionConfiguration(lease));
  }
}
