package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.it.LocalCluster.Member;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The member with real processes: bootstrap, failover, graceful stop, catch-up, peer refusal. */
class MemberClusterIT {
  private static final Duration LEADER_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private LocalCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private void put(Member m, String key, String value) {
    KVGrpc.newBlockingStub(cluster.channel(m))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build());
  }

  private RangeResponse get(Member m, String key, boolean serializable) {
    return KVGrpc.newBlockingStub(cluster.channel(m))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .range(RangeRequest.newBuilder().setKey(bytes(key)).setSerializable(serializable).build());
  }

  private static String log(Member m) throws Exception {
    return Files.readString(m.log());
  }

  @Test
  void threeMembersElectALeaderAndReplicateWrites() {
    cluster = LocalCluster.start(3, dir);
    Member leader = cluster.waitForLeader(LEADER_TIMEOUT);
    Member follower = cluster.members().stream().filter(m -> m != leader).findFirst().orElseThrow();

    put(follower, "greeting", "hello");
    // A linearizable read anywhere sees an acknowledged write.
    for (Member m : cluster.members()) {
      RangeResponse r = get(m, "greeting", false);
      assertThat(r.getKvsList()).hasSize(1);
      assertThat(r.getKvs(0).getValue().toStringUtf8()).isEqualTo("hello");
      assertThat(r.getHeader().getClusterId()).isNotZero();
      assertThat(r.getHeader().getMemberId()).isEqualTo(m.id());
      assertThat(r.getHeader().getRaftTerm()).isPositive();
    }
    StatusResponse s = cluster.status(leader).orElseThrow();
    assertThat(s.getLeader()).isEqualTo(leader.id());
    assertThat(s.getRaftAppliedIndex()).isGreaterThanOrEqualTo(4);
  }

  @Test
  void sigtermOfTheLeaderHandsLeadershipOverThenExitsZero() throws Exception {
    cluster = LocalCluster.start(3, dir);
    Member leader = cluster.waitForLeader(LEADER_TIMEOUT);
    put(leader, "before", "stop");

    long start = System.nanoTime();
    assertThat(cluster.stop(leader, Duration.ofSeconds(30))).isEqualTo(0);
    Member next = cluster.waitForLeader(LEADER_TIMEOUT);
    Duration handover = Duration.ofNanos(System.nanoTime() - start);

    String stopped = log(leader);
    assertThat(stopped).contains("\"msg\":\"received signal; shutting down\"", "\"msg\":\"leadership transfer starting\"");
    assertThat(stopped).contains("\"msg\":\"leadership transfer finished\"", "\"new-leader-member-id\":\"" + Long.toHexString(next.id()) + "\"");
    assertThat(next).isNotEqualTo(leader);
    assertThat(get(next, "before", false).getKvs(0).getValue().toStringUtf8()).isEqualTo("stop");
    System.out.println("leader handover on SIGTERM took " + handover.toMillis() + " ms (including process exit)");
  }

  /**
   * The operator moves leadership away before it replaces the leader's pod. Puts that reach the
   * leader while it hands over used to fail ("leadership is being transferred"); the member now
   * holds them for the next leader, so a client sees none of the five transfers.
   */
  @Test
  void putsToTheLeaderDuringLeadershipTransfersAllSucceed() throws Exception {
    cluster = LocalCluster.start(3, dir);
    Member first = cluster.waitForLeader(LEADER_TIMEOUT);
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger acknowledged = new AtomicInteger();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      int writer = w;
      writers.add(Thread.ofPlatform().start(() -> {
        // Every writer keeps putting to the member that led when the test began: it is the leader
        // in the first transfer and a follower that forwards in the others.
        for (int i = 0; writing.get(); i++) {
          try {
            put(first, "transfer/" + writer + "/" + i, "v");
            acknowledged.incrementAndGet();
          } catch (RuntimeException e) {
            failures.add(e.getMessage());
          }
        }
      }));
    }
    Member leader = first;
    for (int move = 0; move < 5; move++) {
      LocalCluster.sleep(300);
      Member from = leader;
      Member to = cluster.members().stream().filter(m -> m != from).toList().get(move % 2);
      io.etcd.jetcd.api.MaintenanceGrpc.newBlockingStub(cluster.channel(from))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .moveLeader(io.etcd.jetcd.api.MoveLeaderRequest.newBuilder().setTargetID(to.id()).build());
      leader = cluster.waitForLeader(LEADER_TIMEOUT);
      assertThat(leader).as("leader after move %d", move).isEqualTo(to);
    }
    LocalCluster.sleep(300);
    writing.set(false);
    for (Thread t : writers) {
      t.join(Duration.ofSeconds(30));
    }
    System.out.println("puts during 5 leadership transfers: " + acknowledged.get() + " acknowledged, " + failures.size() + " failed");
    assertThat(failures).as("puts that failed during the transfers").isEmpty();
    assertThat(acknowledged.get()).isPositive();
  }

  @Test
  void killedLeaderUnderWritesLosesNoAcknowledgedWriteAndCatchesUpBySnapshot() throws Exception {
    cluster = LocalCluster.start(3, dir, "--snapshot-count=50");
    Member leader = cluster.waitForLeader(LEADER_TIMEOUT);

    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger failures = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  int i = 0;
                  long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                  while (writing.get() && System.nanoTime() < deadline) {
                    List<Member> up = cluster.members().stream().filter(Member::running).toList();
                    Member target = up.get(i % up.size());
                    String key = String.format("key-%06d", i++);
                    try {
                      put(target, key, "v" + i);
                      acknowledged.add(key);
                    } catch (RuntimeException e) {
                      failures.incrementAndGet();
                    }
                  }
                });
    waitUntil(() -> acknowledged.size() >= 100, Duration.ofSeconds(60), "100 writes before the kill");
    cluster.kill(leader);
    int atKill = acknowledged.size();
    Member next = cluster.waitForLeader(LEADER_TIMEOUT);
    assertThat(next).isNotEqualTo(leader);
    waitUntil(() -> acknowledged.size() >= atKill + 400, Duration.ofSeconds(90), "400 writes after the kill");
    writing.set(false);
    writer.join(30_000);

    cluster.restart(leader);
    StatusResponse reference = cluster.status(next).orElseThrow();
    waitUntil(
        () -> cluster.status(leader).map(s -> s.getRaftAppliedIndex() >= reference.getRaftAppliedIndex()).orElse(false),
        Duration.ofSeconds(90),
        "the restarted member catching up to index " + reference.getRaftAppliedIndex());
    assertThat(log(leader)).as("caught up by a snapshot from the leader").contains("\"msg\":\"applied snapshot\"");

    List<String> missing = new ArrayList<>();
    for (String key : acknowledged) {
      if (get(leader, key, true).getKvsCount() != 1 || get(next, key, false).getKvsCount() != 1) {
        missing.add(key);
      }
    }
    System.out.printf("acknowledged %d writes, %d failed attempts around the kill%n", acknowledged.size(), failures.get());
    assertThat(missing).as("acknowledged writes missing after failover").isEmpty();
  }

  /**
   * The backend keeps no log of its own, so a SIGKILL loses what it had not yet flushed, and the
   * restart re-applies the WAL above the backend's consistent index. A snapshot tells the restart
   * to skip everything below it; if it did not make the backend durable first, the writes
   * between the last flush and the snapshot were gone. One member, so nobody can send them back.
   */
  @Test
  void aKilledMemberKeepsEveryWriteItsSnapshotsCovered() throws Exception {
    cluster = LocalCluster.start(1, dir, "--snapshot-count=50");
    Member only = cluster.waitForLeader(LEADER_TIMEOUT);
    for (int i = 0; i < 500; i++) {
      put(only, String.format("key-%04d", i), "v" + i);
    }
    assertThat(log(only)).as("snapshots were taken").contains("\"msg\":\"saved snapshot\"");

    cluster.kill(only);
    cluster.restart(only);
    cluster.waitForLeader(LEADER_TIMEOUT);
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      String key = String.format("key-%04d", i);
      if (get(only, key, true).getKvsCount() != 1) {
        missing.add(key);
      }
    }
    assertThat(missing).as("acknowledged writes missing after SIGKILL and restart").isEmpty();
  }

  /**
   * Large values fill the in-memory Raft log long before {@code --snapshot-count} entries (100,000
   * here): every member then snapshots by size ({@code --snapshot-log-bytes}) and compacts, so a
   * bounded heap never fills with log entries. Before the size trigger, a 1 GiB data set of
   * 32 KiB values made a member with {@code -Xmx1g} run out of heap.
   */
  @Test
  void largeValuesMakeEveryMemberSnapshotByLogBytes() throws Exception {
    cluster = LocalCluster.start(3, dir, "--snapshot-log-bytes=4194304");
    Member leader = cluster.waitForLeader(LEADER_TIMEOUT);
    String value = "v".repeat(1 << 20);
    for (int i = 0; i < 24; i++) {
      put(leader, "big-" + i, value);
    }
    for (Member m : cluster.members()) {
      waitUntil(
          () -> {
            try {
              return log(m).split("\"msg\":\"saved snapshot\"", -1).length - 1 >= 3;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          },
          Duration.ofSeconds(30),
          m + " saving at least 3 snapshots while 24 MiB of 1 MiB values are written");
      assertThat(get(m, "big-23", true).getKvs(0).getValue().size()).isEqualTo(1 << 20);
    }
  }

  /**
   * A follower paused while the leader writes far past its snapshot threshold comes back too far
   * behind for the log and installs a snapshot. A watch opened on it before the pause must then
   * deliver every event once, in order, and keep delivering new ones.
   */
  @Test
  void watchOnAFollowerKeepsDeliveringAcrossASnapshotInstall() throws Exception {
    cluster = LocalCluster.start(3, dir, "--snapshot-count=50");
    Member leader = cluster.waitForLeader(LEADER_TIMEOUT);
    Member follower = cluster.members().stream().filter(m -> m != leader).findFirst().orElseThrow();
    BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<WatchRequest> watch = WatchGrpc.newStub(cluster.channel(follower)).watch(new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse r) {
        responses.add(r);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    watch.onNext(WatchRequest.newBuilder()
        .setCreateRequest(WatchCreateRequest.newBuilder().setKey(bytes("w/")).setRangeEnd(bytes("w0")))
        .build());
    assertThat(responses.poll(30, TimeUnit.SECONDS)).as("watch created").satisfies(r -> assertThat(r.getCreated()).isTrue());

    signal(follower, "STOP");
    List<String> written = new ArrayList<>();
    try {
      // More entries than the leader keeps in flight to one follower (256) plus what it keeps
      // in its log after a snapshot (50): the resumed follower can only catch up by snapshot.
      for (int i = 0; i < 1000; i++) {
        String key = String.format("w/%04d", i);
        put(leader, key, "v");
        written.add(key);
      }
    } finally {
      signal(follower, "CONT");
    }
    put(leader, "w/after", "v");
    written.add("w/after");

    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (seen.size() < written.size() && System.nanoTime() < deadline) {
      WatchResponse r = responses.poll(1, TimeUnit.SECONDS);
      if (r != null) {
        assertThat(r.getCanceled()).as("watch canceled: %s", r.getCancelReason()).isFalse();
        r.getEventsList().forEach(e -> seen.add(e.getKv().getKey().toStringUtf8()));
      }
    }
    watch.onCompleted();
    assertThat(log(follower)).as("caught up by a snapshot").contains("\"msg\":\"applied snapshot\"");
    assertThat(seen).containsExactlyElementsOf(written);
  }

  private static void signal(Member m, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(m.process().pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -%s %s", signal, m.name).isTrue();
  }

  @Test
  void aMemberWithAnotherClusterTokenIsRefused() throws Exception {
    cluster = LocalCluster.start(3, dir);
    Member leader = cluster.waitForLeader(LEADER_TIMEOUT);
    Member intruder = cluster.newMember();
    Member target = cluster.member(1);
    String wrongCluster = target.name + "=" + target.peerUrl() + "," + intruder.name + "=" + intruder.peerUrl();
    cluster.launchRaw(intruder, cluster.flags(intruder, "new", wrongCluster, "another-token"));

    waitUntil(
        () -> {
          try {
            return log(target).contains("\"msg\":\"rejected stream from remote peer\"") && log(intruder).contains("\"msg\":\"remote peer refused the connection\"");
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(60),
        "the refusal in both logs");
    assertThat(log(target)).contains("cluster ID mismatch");
    assertThat(log(intruder)).contains("cluster ID mismatch");
    // The cluster is not disturbed.
    put(leader, "still", "fine");
    assertThat(get(target, "still", false).getKvsCount()).isEqualTo(1);
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      LocalCluster.sleep(100);
    }
  }
}
