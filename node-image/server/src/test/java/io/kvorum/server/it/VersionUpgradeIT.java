package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.server.grpc.MaintenanceService;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeRequest.DowngradeAction;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import io.kvorum.server.it.LocalCluster.Member;
import io.kvorum.server.peer.PeerTransport;
import io.kvorum.server.tls.GrpcChannels;
import io.kvorum.server.version.ServerVersion;
import io.kvorum.server.version.Version;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed 003's rolling upgrade with real processes: members are replaced one at a time by a build
 * one minor newer; the cluster runs at the lowest common version while mixed and moves up once
 * every member runs the new one. Afterwards the old binary cannot come back, and a build two
 * minors ahead cannot join.
 *
 * <p>The "other builds" are the jar under test with another {@code server.version} in its
 * {@code kvorum-version.properties}: exactly what {@code -Drevision=X.Y.Z} changes.
 */
class VersionUpgradeIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private LocalCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A copy of the jar under test that reports {@code version}. */
  private Path jarOfVersion(String version) throws Exception {
    Path copy = dir.resolve("kvorum-" + version + ".jar");
    Files.copy(LocalCluster.defaultJar(), copy, StandardCopyOption.REPLACE_EXISTING);
    try (FileSystem jar = FileSystems.newFileSystem(copy)) {
      Files.writeString(jar.getPath("kvorum-version.properties"), "server.version=" + version + "\n", StandardCharsets.UTF_8);
    }
    return copy;
  }

  private static String clusterVersion(Member m) {
    try {
      return PeerTransport.fetchVersion(GrpcChannels.of(null), URI.create(m.peerUrl()), Duration.ofSeconds(2)).getClusterVersion();
    } catch (RuntimeException e) {
      return "unreachable";
    }
  }

  private void put(Member m, String key) {
    KVGrpc.newBlockingStub(cluster.channel(m))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8("v")).build());
  }

  /** Grants {@code n} short leases with a key each and waits until the leader revoked them all. */
  private void expireLeases(String prefix, int n) {
    Member any = cluster.waitForLeader(TIMEOUT);
    for (int i = 0; i < n; i++) {
      long id =
          io.etcd.jetcd.api.LeaseGrpc.newBlockingStub(cluster.channel(any))
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .leaseGrant(io.etcd.jetcd.api.LeaseGrantRequest.newBuilder().setTTL(3).build())
              .getID();
      KVGrpc.newBlockingStub(cluster.channel(any))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(prefix + i)).setValue(ByteString.copyFromUtf8("v")).setLease(id).build());
    }
    waitUntil(
        () ->
            KVGrpc.newBlockingStub(cluster.channel(any))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(prefix)).setRangeEnd(ByteString.copyFromUtf8(prefix + "~")).build())
                    .getCount()
                == 0,
        "the leases with keys " + prefix + "* to expire");
  }

  private boolean anyLogHasBatchedRevoke() {
    return cluster.members().stream()
        .anyMatch(
            m -> {
              try {
                return Files.readString(m.log()).contains("\"msg\":\"revoked expired leases in one entry\"");
              } catch (java.io.IOException e) {
                return false;
              }
            });
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what);
      }
      LocalCluster.sleep(200);
    }
  }

  private static DowngradeResponse downgrade(io.grpc.Channel channel, DowngradeAction action, String version) {
    return io.grpc.stub.ClientCalls.blockingUnaryCall(
        channel,
        MaintenanceService.DOWNGRADE,
        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
        DowngradeRequest.newBuilder().setAction(action).setVersion(version).build());
  }

  private static String mm(Version v) {
    return v.major() + "." + v.minor() + ".0";
  }

  @Test
  void rollingUpgradeRunsAtTheLowestVersionUntilEveryMemberIsNewThenNoWayBack() throws Exception {
    Version base = ServerVersion.current();
    Version next = new Version(base.major(), base.minor() + 1, 0, "");
    Path nextJar = jarOfVersion(next.toString());

    cluster = LocalCluster.start(3, dir);
    cluster.waitForLeader(TIMEOUT);
    for (Member m : cluster.members()) {
      waitUntil(() -> clusterVersion(m).equals(mm(base)), m + " at cluster version " + mm(base));
    }

    // A client writes all along, to any running member, and records what was acknowledged.
    java.util.Set<String> acknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger retries = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                  for (int i = 0; writing.get() && System.nanoTime() < deadline; i++) {
                    String key = String.format("load-%06d", i);
                    // As a client with several endpoints does: on an error, the next endpoint.
                    for (int attempt = 0; attempt < 20; attempt++) {
                      java.util.List<Member> up = cluster.members().stream().filter(Member::running).toList();
                      try {
                        put(up.get((i + attempt) % up.size()), key);
                        acknowledged.add(key);
                        break;
                      } catch (RuntimeException e) {
                        retries.incrementAndGet();
                        LocalCluster.sleep(100);
                      }
                    }
                    if (!acknowledged.contains(key)) {
                      failed.incrementAndGet();
                    }
                  }
                });

    // Followers first, the leader last, one at a time, each SIGTERMed and restarted on its data.
    Member leader = cluster.waitForLeader(TIMEOUT);
    java.util.List<Member> order = new java.util.ArrayList<>(cluster.members());
    order.remove(leader);
    order.add(leader);
    for (int i = 0; i < order.size(); i++) {
      Member m = order.get(i);
      assertThat(cluster.stop(m, Duration.ofSeconds(30))).isZero();
      m.jar(nextJar);
      cluster.restart(m);
      Member now = cluster.waitForLeader(TIMEOUT);
      put(now, "after-" + m.name);
      if (i < order.size() - 1) {
        // Mixed: still the old protocol, and the capability of the new version stays off.
        assertThat(clusterVersion(m)).isEqualTo(mm(base));
        if (i == 0) {
          expireLeases("mixed-", 3);
          assertThat(anyLogHasBatchedRevoke()).as("batched lease revoke used while mixed").isFalse();
        }
      }
    }
    for (Member m : cluster.members()) {
      waitUntil(() -> clusterVersion(m).equals(mm(next)), m + " at cluster version " + mm(next));
      assertThat(Files.readString(m.log())).contains("\"msg\":\"enabled capabilities for version\"", "BATCHED_LEASE_REVOKE");
      assertThat(Files.readString(m.log()))
          .contains("\"msg\":\"updated cluster version\"")
          .contains("\"from\":\"" + base.major() + "." + base.minor() + "\",\"to\":\"" + next.major() + "." + next.minor() + "\"");
    }
    writing.set(false);
    writer.join(60_000);
    Member last = cluster.waitForLeader(TIMEOUT);
    java.util.List<String> lost = new java.util.ArrayList<>();
    for (String key : acknowledged) {
      if (KVGrpc.newBlockingStub(cluster.channel(last)).withDeadlineAfter(10, TimeUnit.SECONDS)
              .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build()).getKvsCount() != 1) {
        lost.add(key);
      }
    }
    System.out.printf(
        "rolling upgrade under load: %d writes acknowledged, %d failed after 20 attempts, %d retried attempts%n",
        acknowledged.size(), failed.get(), retries.get());
    assertThat(lost).as("acknowledged writes lost during the rolling upgrade").isEmpty();
    assertThat(acknowledged).hasSizeGreaterThan(50);
    assertThat(
            KVGrpc.newBlockingStub(cluster.channel(last))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("after-")).setRangeEnd(ByteString.copyFromUtf8("after.")).build())
                .getCount())
        .isEqualTo(3);

    // The capability the new version brought works now.
    expireLeases("upgraded-", 3);
    assertThat(anyLogHasBatchedRevoke()).as("batched lease revoke after the cluster version moved").isTrue();

    // No way back: the old binary refuses the upgraded data dir.
    Member m1 = cluster.member(1);
    assertThat(cluster.stop(m1, Duration.ofSeconds(30))).isZero();
    m1.jar(LocalCluster.defaultJar());
    cluster.restart(m1);
    assertThat(m1.process().waitFor(60, TimeUnit.SECONDS)).as("old binary exits").isTrue();
    assertThat(m1.process().exitValue()).isEqualTo(1);
    assertThat(m1.logTail(5)).contains("downgrade is not possible once every member has been upgraded");
  }

  @Test
  void whileMixedTheOldBinaryCanComeBackAndTheClusterStaysAtTheOldVersion() throws Exception {
    Version base = ServerVersion.current();
    Path nextJar = jarOfVersion(new Version(base.major(), base.minor() + 1, 0, "").toString());

    cluster = LocalCluster.start(3, dir);
    cluster.waitForLeader(TIMEOUT);
    waitUntil(() -> clusterVersion(cluster.member(1)).equals(mm(base)), "cluster version " + mm(base));
    for (Member m : java.util.List.of(cluster.member(1), cluster.member(2))) {
      assertThat(cluster.stop(m, Duration.ofSeconds(30))).isZero();
      m.jar(nextJar);
      cluster.restart(m);
      put(cluster.waitForLeader(TIMEOUT), "up-" + m.name);
    }
    for (Member m : java.util.List.of(cluster.member(2), cluster.member(1))) {
      assertThat(cluster.stop(m, Duration.ofSeconds(30))).isZero();
      m.jar(LocalCluster.defaultJar());
      cluster.restart(m);
      put(cluster.waitForLeader(TIMEOUT), "down-" + m.name);
      assertThat(m.running()).as(m + " back on the old binary").isTrue();
    }
    for (Member m : cluster.members()) {
      assertThat(clusterVersion(m)).isEqualTo(mm(base));
      assertThat(Files.readString(m.log())).doesNotContain("\"msg\":\"updated cluster version\"");
    }
  }

  @Test
  void downgradeLowersTheClusterVersionLetsTheOldBinaryBackAndEndsItself() throws Exception {
    Version base = ServerVersion.current();
    Version next = new Version(base.major(), base.minor() + 1, 0, "");
    Path nextJar = jarOfVersion(next.toString());

    cluster = LocalCluster.startWith(3, dir, nextJar, java.util.Map.of(), java.util.List.of());
    cluster.waitForLeader(TIMEOUT);
    for (Member m : cluster.members()) {
      waitUntil(() -> clusterVersion(m).equals(mm(next)), m + " at cluster version " + mm(next));
    }
    // Maintenance.Downgrade on the client port, as etcdctl 3.5's `downgrade` sends it.
    io.grpc.ManagedChannel channel = cluster.channel(cluster.member(1));
    assertThat(catchThrowable(() -> downgrade(channel, DowngradeAction.VALIDATE, next.toString())))
        .as("a target that is not one minor below the cluster version")
        .isInstanceOfSatisfying(
            io.grpc.StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).isEqualTo("etcdserver: invalid downgrade target version"));
    assertThat(downgrade(channel, DowngradeAction.VALIDATE, base.toString()).getVersion()).isEqualTo(mm(next));
    assertThat(downgrade(channel, DowngradeAction.ENABLE, base.toString()).getHeader().getClusterId()).isNotZero();
    assertThat(catchThrowable(() -> downgrade(channel, DowngradeAction.ENABLE, base.toString())))
        .isInstanceOfSatisfying(
            io.grpc.StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).isEqualTo("etcdserver: cluster has a downgrade job in progress"));
    for (Member m : cluster.members()) {
      waitUntil(() -> clusterVersion(m).equals(mm(base)), m + " lowered to cluster version " + mm(base));
    }
    for (Member m : cluster.members()) {
      assertThat(cluster.stop(m, Duration.ofSeconds(30))).isZero();
      m.jar(LocalCluster.defaultJar());
      cluster.restart(m);
      put(cluster.waitForLeader(TIMEOUT), "downgraded-" + m.name);
      assertThat(m.running()).as(m + " runs the older binary").isTrue();
    }
    waitUntil(
        () -> cluster.members().stream().allMatch(m -> {
          try {
            return Files.readString(m.log()).contains("\"msg\":\"downgrade finished or canceled\"");
          } catch (java.io.IOException e) {
            return false;
          }
        }),
        "the downgrade to end itself on every member");
    for (Member m : cluster.members()) {
      assertThat(clusterVersion(m)).isEqualTo(mm(base));
    }
  }

  @Test
  void downgradeCanBeCanceledHalfway() throws Exception {
    Version base = ServerVersion.current();
    Version next = new Version(base.major(), base.minor() + 1, 0, "");
    cluster = LocalCluster.startWith(3, dir, jarOfVersion(next.toString()), java.util.Map.of(), java.util.List.of());
    cluster.waitForLeader(TIMEOUT);
    Member m1 = cluster.member(1);
    waitUntil(() -> clusterVersion(m1).equals(mm(next)), "cluster version " + mm(next));
    assertThat(io.kvorum.server.version.DowngradeCommand.run(new String[] {"cancel", "--endpoints", m1.clientUrl()})).as("nothing to cancel").isEqualTo(1);
    assertThat(io.kvorum.server.version.DowngradeCommand.run(new String[] {"enable", base.toString(), "--endpoints", m1.clientUrl()})).isZero();
    waitUntil(() -> clusterVersion(m1).equals(mm(base)), "cluster version lowered to " + mm(base));
    assertThat(cluster.stop(m1, Duration.ofSeconds(30))).isZero();
    m1.jar(LocalCluster.defaultJar());
    cluster.restart(m1);
    cluster.waitForLeader(TIMEOUT);
    assertThat(io.kvorum.server.version.DowngradeCommand.run(new String[] {"cancel", "--endpoints", cluster.member(2).clientUrl()})).isZero();
    Member m2 = cluster.member(2);
    waitUntil(
        () -> {
          try {
            return Files.readString(m2.log()).contains("\"msg\":\"downgrade finished or canceled\"");
          } catch (java.io.IOException e) {
            return false;
          }
        },
        "the cancel to apply");
    // A member still runs the older build, so the cluster stays at the lower version.
    LocalCluster.sleep(3000);
    assertThat(clusterVersion(m2)).isEqualTo(mm(base));
    put(cluster.waitForLeader(TIMEOUT), "after-cancel");
  }

  @Test
  void aBuildTwoMinorsAheadRefusesToJoin() throws Exception {
    Version base = ServerVersion.current();
    Path tooNew = jarOfVersion(new Version(base.major(), base.minor() + 2, 0, "").toString());

    cluster = LocalCluster.start(3, dir);
    cluster.waitForLeader(TIMEOUT);
    Member m3 = cluster.member(3);
    waitUntil(() -> clusterVersion(m3).equals(mm(base)), "cluster version " + mm(base));
    assertThat(cluster.stop(m3, Duration.ofSeconds(30))).isZero();
    m3.jar(tooNew);
    cluster.restart(m3);
    assertThat(m3.process().waitFor(60, TimeUnit.SECONDS)).as("too new a build exits").isTrue();
    assertThat(m3.process().exitValue()).isEqualTo(1);
    assertThat(m3.logTail(5)).contains("more than one minor version above the cluster version");
  }
}
