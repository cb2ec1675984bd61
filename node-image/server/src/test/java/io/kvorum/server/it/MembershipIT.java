package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberPromoteRequest;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.StatusRuntimeException;
import io.kvorum.server.grpc.proto.ServingGrpc;
import io.kvorum.server.it.LocalCluster.Member;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MemberAdd as a learner, join with --initial-cluster-state existing, promote, drain, remove. */
class MembershipIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private LocalCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private ClusterGrpc.ClusterBlockingStub clusterApi(Member m) {
    return ClusterGrpc.newBlockingStub(cluster.channel(m)).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  @Test
  void learnerJoinsCatchesUpIsPromotedAndRemoved() {
    cluster = LocalCluster.start(3, dir);
    Member leader = cluster.waitForLeader(TIMEOUT);
    for (int i = 0; i < 50; i++) {
      KVGrpc.newBlockingStub(cluster.channel(leader))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k" + i)).setValue(ByteString.copyFromUtf8("v")).build());
    }

    Member joiner = cluster.newMember();
    MemberAddResponse added =
        clusterApi(leader).memberAdd(MemberAddRequest.newBuilder().addPeerURLs(joiner.peerUrl()).setIsLearner(true).build());
    long id = added.getMember().getID();
    assertThat(added.getMember().getIsLearner()).isTrue();
    assertThat(added.getMembersList()).hasSize(4);
    // The same peer URL cannot be added twice.
    assertThatThrownBy(() -> clusterApi(leader).memberAdd(MemberAddRequest.newBuilder().addPeerURLs(joiner.peerUrl()).build()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("etcdserver: Peer URLs already exists");

    cluster.join(joiner);
    waitUntil(
        () -> cluster.status(joiner).map(s -> s.getIsLearner() && s.getRaftAppliedIndex() >= cluster.status(leader).orElseThrow().getRaftAppliedIndex() - 1).orElse(false),
        "the learner catching up");
    assertThat(
            KVGrpc.newBlockingStub(cluster.channel(joiner))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("k0")).setSerializable(true).build())
                .getKvsCount())
        .isEqualTo(1);

    clusterApi(leader).memberPromote(MemberPromoteRequest.newBuilder().setID(id).build());
    waitUntil(
        () ->
            clusterApi(leader).memberList(MemberListRequest.getDefaultInstance()).getMembersList().stream()
                .anyMatch(m -> m.getID() == id && !m.getIsLearner() && m.getName().equals(joiner.name)),
        "the promoted member, with its published name, in the member list");
    assertThatThrownBy(() -> clusterApi(leader).memberPromote(MemberPromoteRequest.newBuilder().setID(id).build()))
        .hasMessageContaining("etcdserver: can only promote a learner member");

    // The operator's order: drain (readiness fails, the member still serves), then remove.
    ServingGrpc.newBlockingStub(cluster.channel(joiner)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .drain(com.google.protobuf.Duration.newBuilder().setSeconds(60).build());
    assertThat(readyz(joiner)).startsWith("503 [-]serving failed: drained for another");
    KVGrpc.newBlockingStub(cluster.channel(joiner)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("drained")).setValue(ByteString.copyFromUtf8("v")).build());

    clusterApi(leader).memberRemove(MemberRemoveRequest.newBuilder().setID(id).build());
    assertThat(clusterApi(leader).memberList(MemberListRequest.getDefaultInstance()).getMembersList()).hasSize(3);
    waitUntil(() -> !joiner.running(), "the removed member to stop");
    assertThatThrownBy(() -> clusterApi(leader).memberRemove(MemberRemoveRequest.newBuilder().setID(id).build()))
        .hasMessageContaining("etcdserver: member not found");
  }

  private static String readyz(Member m) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(m.clientUrl() + "/readyz")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() + " " + r.body();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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
}
