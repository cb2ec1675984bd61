package io.kvorum.server.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.raft.pb.Message;
import io.kvorum.raft.pb.MessageType;
import io.kvorum.raft.pb.Snapshot;
import io.kvorum.raft.pb.SnapshotMetadata;
import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.VersionResponse;
import io.kvorum.server.tls.GrpcChannels;
import io.kvorum.server.version.ServerVersion;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerTransportTest {
  private static final long CLUSTER = 0xcdf8L;

  @TempDir Path dir;

  private PeerServer server;
  private PeerTransport transport;
  private final BlockingQueue<Message> received = new LinkedBlockingQueue<>();
  private final BlockingQueue<Path> snapshots = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

  /** Member 2's peer port, accepting members of cluster {@link #CLUSTER}. */
  private URI startReceiver() throws Exception {
    server =
        new PeerServer(
            new PeerHandler() {
              @Override
              public String admit(Handshake h) {
                return h.getFromMemberId() == 66 ? "member 42 was removed from the cluster" : null;
              }

              @Override
              public void receive(Message message) {
                received.add(message);
              }

              @Override
              public Path incomingSnapshotDir() {
                return dir.resolve("snap");
              }

              @Override
              public void receiveSnapshot(Message message, Path databaseFile) {
                snapshots.add(databaseFile);
              }

              @Override
              public VersionResponse version() {
                return local(2, CLUSTER);
              }

              @Override
              public io.kvorum.server.membership.pb.MembersResponse members() {
                return io.kvorum.server.membership.pb.MembersResponse.getDefaultInstance();
              }
            });
    server.start(List.of(URI.create("http://127.0.0.1:0")), null);
    return URI.create("http://127.0.0.1:" + server.ports().get(0));
  }

  private static VersionResponse local(long member, long cluster) {
    return VersionResponse.newBuilder()
        .setMemberId(member)
        .setClusterId(cluster)
        .setServerVersion(ServerVersion.current().toString())
        .setClusterVersion("1.0.0")
        .setProtocolVersion(ServerVersion.PEER_PROTOCOL)
        .setMinProtocolVersion(ServerVersion.MIN_PEER_PROTOCOL)
        .build();
  }

  private PeerTransport sender(long from, long cluster, int protocol) {
    return new PeerTransport(
        from,
        () ->
            Handshake.newBuilder()
                .setClusterId(cluster)
                .setFromMemberId(from)
                .setServerVersion("9.9.9")
                .setProtocolVersion(protocol)
                .setMinProtocolVersion(protocol)
                .build(),
        new TransportListener() {
          @Override
          public void unreachable(long memberId) {
            events.add("unreachable " + memberId);
          }

          @Override
          public void snapshotStatus(long memberId, boolean delivered) {
            events.add("snapshot " + memberId + " " + delivered);
          }
        },
        GrpcChannels.of(null));
  }

  @AfterEach
  void stop() {
    if (transport != null) {
      transport.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static Message heartbeat(long from, long to, long term) {
    return Message.newBuilder().setType(MessageType.MSG_HEARTBEAT).setFrom(from).setTo(to).setTerm(term).build();
  }

  @Test
  void deliversMessagesInOrderAfterTheHandshake() throws Exception {
    URI url = startReceiver();
    transport = sender(1, CLUSTER, ServerVersion.PEER_PROTOCOL);
    transport.upsertPeer(2, List.of(url));
    for (int round = 0; round < 50 && received.isEmpty(); round++) {
      transport.send(List.of(heartbeat(1, 2, 0)));
      Thread.sleep(100);
    }
    received.clear();
    for (long t = 1; t <= 500; t++) {
      transport.send(List.of(heartbeat(1, 2, t)));
    }
    long expected = 1;
    while (expected <= 500) {
      Message m = received.poll(5, TimeUnit.SECONDS);
      assertThat(m).as("message with term %d", expected).isNotNull();
      assertThat(m.getTerm()).isEqualTo(expected++);
    }
    assertThat(transport.connected(2)).isTrue();
  }

  @Test
  void refusesAnotherClusterAndReportsUnreachable() throws Exception {
    URI url = startReceiver();
    transport = sender(1, 0x1c2dL, ServerVersion.PEER_PROTOCOL);
    transport.upsertPeer(2, List.of(url));
    for (int round = 0; round < 20; round++) {
      transport.send(List.of(heartbeat(1, 2, round)));
      Thread.sleep(50);
    }
    assertThat(received).isEmpty();
    assertThat(transport.connected(2)).isFalse();
    assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("unreachable 2");
  }

  @Test
  void refusalReasonsNameBothSides() {
    VersionResponse local = local(2, CLUSTER);
    Handshake good =
        Handshake.newBuilder()
            .setClusterId(CLUSTER)
            .setFromMemberId(1)
            .setToMemberId(2)
            .setProtocolVersion(ServerVersion.PEER_PROTOCOL)
            .setMinProtocolVersion(ServerVersion.MIN_PEER_PROTOCOL)
            .build();
    assertThat(HandshakeCheck.refusal(local, good)).isNull();
    assertThat(HandshakeCheck.refusal(local, good.toBuilder().setClusterId(0x1c2d).build()))
        .startsWith("cluster ID mismatch: local cdf8, remote 1c2d");
    assertThat(HandshakeCheck.refusal(local, good.toBuilder().setToMemberId(3).build()))
        .contains("wants member 3 but this is member 2");
    assertThat(HandshakeCheck.refusal(local, good.toBuilder().setProtocolVersion(0).build()))
        .contains("incompatible peer protocol: remote speaks 0");
    assertThat(HandshakeCheck.refusal(local, good.toBuilder().setMinProtocolVersion(ServerVersion.PEER_PROTOCOL + 1).build()))
        .contains("remote needs at least " + (ServerVersion.PEER_PROTOCOL + 1));
  }

  @Test
  void unreachablePeerIsReported() throws Exception {
    transport = sender(1, CLUSTER, ServerVersion.PEER_PROTOCOL);
    transport.upsertPeer(2, List.of(URI.create("http://127.0.0.1:1")));
    transport.send(List.of(heartbeat(1, 2, 1)));
    assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("unreachable 2");
  }

  @Test
  void snapshotArrivesWholeAndVerified() throws Exception {
    URI url = startReceiver();
    transport = sender(1, CLUSTER, ServerVersion.PEER_PROTOCOL);
    transport.upsertPeer(2, List.of(url));
    byte[] db = new byte[3 * 1024 * 1024 + 17];
    new Random(7).nextBytes(db);
    Message snap =
        Message.newBuilder()
            .setType(MessageType.MSG_SNAP)
            .setFrom(1)
            .setTo(2)
            .setSnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder().setIndex(100).setTerm(3)))
            .build();
    transport.sendSnapshot(snap, () -> new ByteArrayInputStream(db));
    Path file = snapshots.poll(10, TimeUnit.SECONDS);
    assertThat(file).isNotNull();
    assertThat(Files.readAllBytes(file)).isEqualTo(db);
    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("snapshot 2 true");
  }

  @Test
  void versionNeedsNoHandshake() throws Exception {
    URI url = startReceiver();
    VersionResponse v = PeerTransport.fetchVersion(GrpcChannels.of(null), url, Duration.ofSeconds(5));
    assertThat(v.getMemberId()).isEqualTo(2);
    assertThat(v.getClusterVersion()).isEqualTo("1.0.0");
  }
}
