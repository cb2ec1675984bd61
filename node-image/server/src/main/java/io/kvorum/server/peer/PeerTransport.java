package io.kvorum.server.peer;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.kvorum.raft.pb.Message;
import io.kvorum.server.log.Log;
import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.PeerGrpc;
import io.kvorum.server.peer.pb.SnapshotAck;
import io.kvorum.server.peer.pb.SnapshotChunk;
import io.kvorum.server.peer.pb.VersionRequest;
import io.kvorum.server.peer.pb.VersionResponse;
import io.kvorum.server.tls.GrpcChannels;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Sends Raft messages and snapshots to the other members (etcd's rafthttp). One {@link
 * RemotePeer} stream per member; snapshots go on their own call, so a large database transfer
 * never delays heartbeats.
 */
public final class PeerTransport implements AutoCloseable {
  private static final Log LOG = Log.get(PeerTransport.class);

  private static final int SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
  private static final long SNAPSHOT_TIMEOUT_MINUTES = 10;

  private final long localId;
  private final Supplier<Handshake> handshake;
  private final TransportListener listener;
  private final GrpcChannels channels;
  private final Map<Long, RemotePeer> peers = new ConcurrentHashMap<>();
  private final Map<Long, List<URI>> urls = new ConcurrentHashMap<>();
  private final ExecutorService snapshotSenders =
      Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("peer-snapshot-", 0).factory());

  /**
   * @param handshake the local handshake, read at every connect (the cluster id may be learnt
   *     after the transport starts, when joining)
   * @param channels dials peer URLs, with the peer certificate for {@code https} ones
   */
  public PeerTransport(long localId, Supplier<Handshake> handshake, TransportListener listener, GrpcChannels channels) {
    this.localId = localId;
    this.handshake = handshake;
    this.listener = listener;
    this.channels = channels;
  }

  /** Adds a member or changes its URLs; adding the local member is a no-op. */
  public void upsertPeer(long id, List<URI> peerUrls) {
    if (id == localId || peerUrls.isEmpty()) {
      return;
    }
    urls.put(id, List.copyOf(peerUrls));
    RemotePeer existing = peers.get(id);
    if (existing == null) {
      peers.put(id, new RemotePeer(id, peerUrls, () -> handshake.get().toBuilder().setToMemberId(id).build(), listener, channels));
      LOG.info("added remote peer", "local-member-id", Long.toHexString(localId), "remote-peer-id", Long.toHexString(id), "remote-peer-urls", peerUrls.stream().map(URI::toString).toList());
    } else {
      existing.updateUrls(peerUrls);
    }
  }

  public void removePeer(long id) {
    urls.remove(id);
    RemotePeer p = peers.remove(id);
    if (p != null) {
      p.close();
      LOG.info("removed remote peer", "local-member-id", Long.toHexString(localId), "removed-remote-peer-id", Long.toHexString(id));
    }
  }

  /** Whether the stream to {@code id} is up (for /health-like views and leader transfer). */
  public boolean connected(long id) {
    RemotePeer p = peers.get(id);
    return p != null && p.connected();
  }

  /** Sends each member its messages as one batch, in the order given. */
  public void send(List<Message> messages) {
    Map<Long, List<Message>> byPeer = new LinkedHashMap<>();
    for (Message m : messages) {
      byPeer.computeIfAbsent(m.getTo(), to -> new ArrayList<>()).add(m);
    }
    byPeer.forEach(
        (to, batch) -> {
          RemotePeer p = peers.get(to);
          if (p == null) {
            LOG.debug("ignored message send request; unknown remote peer target", "type", batch.getFirst().getType().name(), "unknown-target-peer-id", Long.toHexString(to));
            return;
          }
          p.send(batch);
        });
  }

  /**
   * Streams a MsgSnap and the backend checkpoint that goes with it; reports the result through
   * {@link TransportListener#snapshotStatus}. The stream is closed when done.
   */
  public void sendSnapshot(Message message, Supplier<InputStream> database) {
    long to = message.getTo();
    List<URI> target = urls.get(to);
    if (target == null) {
      listener.snapshotStatus(to, false);
      return;
    }
    snapshotSenders.execute(
        () -> {
          boolean ok = false;
          long sent = 0;
          long start = System.nanoTime();
          URI url = target.get(0);
          ManagedChannel channel = channels.builder(url).build();
          try (InputStream in = database.get()) {
            CompletableFuture<SnapshotAck> ack = new CompletableFuture<>();
            StreamObserver<SnapshotChunk> out =
                PeerGrpc.newStub(channel)
                    .withDeadlineAfter(SNAPSHOT_TIMEOUT_MINUTES, TimeUnit.MINUTES)
                    .snapshot(observer(ack));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            SnapshotChunk.Builder first =
                SnapshotChunk.newBuilder().setHandshake(handshake.get().toBuilder().setToMemberId(to)).setMessage(message);
            byte[] buf = new byte[SNAPSHOT_CHUNK_BYTES];
            boolean firstSent = false;
            while (true) {
              int n = in.readNBytes(buf, 0, buf.length);
              sha.update(buf, 0, n);
              sent += n;
              boolean last = n < buf.length;
              SnapshotChunk.Builder chunk = firstSent ? SnapshotChunk.newBuilder() : first;
              chunk.setData(ByteString.copyFrom(buf, 0, n)).setLast(last);
              if (last) {
                chunk.setSha256(ByteString.copyFrom(sha.digest()));
              }
              out.onNext(chunk.build());
              firstSent = true;
              if (last) {
                break;
              }
            }
            out.onCompleted();
            ok = ack.get(SNAPSHOT_TIMEOUT_MINUTES, TimeUnit.MINUTES).getApplied();
          } catch (IOException | NoSuchAlgorithmException | java.util.concurrent.TimeoutException e) {
            LOG.warn("failed to send database snapshot", "remote-peer-id", Long.toHexString(to), "error", e);
          } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("failed to send database snapshot", "remote-peer-id", Long.toHexString(to), "error", e.getCause());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            channel.shutdownNow();
          }
          if (ok) {
            LOG.info(
                "sent database snapshot to remote peer",
                "remote-peer-id", Long.toHexString(to),
                "bytes", sent,
                "took", Duration.ofNanos(System.nanoTime() - start));
          }
          listener.snapshotStatus(to, ok);
        });
  }

  private static StreamObserver<SnapshotAck> observer(CompletableFuture<SnapshotAck> ack) {
    return new StreamObserver<>() {
      @Override
      public void onNext(SnapshotAck value) {
        ack.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        ack.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        ack.complete(SnapshotAck.getDefaultInstance());
      }
    };
  }

  /**
   * Asks the member at {@code url} what it runs; works across versions (no handshake).
   *
   * @throws io.grpc.StatusRuntimeException when it cannot be reached within {@code timeout}
   */
  public static VersionResponse fetchVersion(GrpcChannels channels, URI url, Duration timeout) {
    ManagedChannel channel = channels.builder(url).build();
    try {
      return PeerGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .getVersion(VersionRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * Asks the member at {@code url} for the membership it knows (no handshake).
   *
   * @throws io.grpc.StatusRuntimeException when it cannot be reached within {@code timeout}
   */
  public static io.kvorum.server.membership.pb.MembersResponse fetchMembers(GrpcChannels channels, URI url, Duration timeout) {
    ManagedChannel channel = channels.builder(url).build();
    try {
      return PeerGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .getMembers(VersionRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }

  @Override
  public void close() {
    peers.values().forEach(RemotePeer::close);
    peers.clear();
    snapshotSenders.shutdownNow();
  }
}
