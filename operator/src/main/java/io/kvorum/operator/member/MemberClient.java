package io.kvorum.operator.member;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * The operator's view of members, through their client port (like etcd's 2379): HTTP
 * {@code /version} and {@code /health}, and the etcd v3 Cluster and Maintenance gRPC services.
 * Every call is bounded in time. {@link #probe} never throws (an unreachable member is an
 * answer); the others throw {@link MemberException} with what failed.
 */
public interface MemberClient extends AutoCloseable {

  MemberProbe probe(URI clientUrl);

  /**
   * This client speaking TLS with a cluster's credentials (https endpoints, client certificate,
   * the cluster's CAs); {@code null} gives a plaintext client.
   */
  MemberClient withTls(ClientTls tls);

  List<ClusterMember> memberList(URI via);

  /** MemberAdd with isLearner=true; returns the new member's id. */
  long addLearner(URI via, URI peerUrl);

  void promote(URI via, long memberId);

  void remove(URI via, long memberId);

  /** Must be sent to the current leader. */
  void moveLeader(URI leader, long toMemberId);

  /**
   * Kvorum's {@code Serving/Drain}: {@code member} reports itself not ready for {@code duration},
   * so its pod leaves the client Service while it still serves. Returns false when the member
   * runs a version without drains (UNIMPLEMENTED).
   */
  boolean drain(URI member, java.time.Duration duration);

  /**
   * Streams Maintenance.Snapshot from {@code leader} into {@code target}, verifying the SHA-256
   * trailer; a mismatch deletes the file and throws.
   */
  SnapshotResult snapshot(URI leader, Path target);

  @Override
  void close();
}
