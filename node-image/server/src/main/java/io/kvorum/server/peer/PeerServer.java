package io.kvorum.server.peer;

import io.grpc.Server;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.kvorum.raft.pb.Message;
import io.kvorum.server.log.Log;
import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.HandshakeAccepted;
import io.kvorum.server.peer.pb.PeerFrame;
import io.kvorum.server.peer.pb.PeerGrpc;
import io.kvorum.server.peer.pb.PeerReply;
import io.kvorum.server.peer.pb.SnapshotAck;
import io.kvorum.server.peer.pb.SnapshotChunk;
import io.kvorum.server.peer.pb.VersionRequest;
import io.kvorum.server.peer.pb.VersionResponse;
import io.kvorum.server.tls.PortTls;
import io.kvorum.server.tls.RefusalLoggingNegotiator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The peer port (etcd's 2380): accepts Raft streams and snapshots from other members after a
 * handshake, and answers {@code GetVersion} to anyone.
 *
 * <p>{@code https://} listen URLs serve TLS with the peer certificate; with {@code
 * --peer-client-cert-auth} a member must present a certificate signed by {@code
 * --peer-trusted-ca-file}, else its handshake fails and the refusal is logged with its address.
 */
public final class PeerServer implements AutoCloseable {
  private static final Log LOG = Log.get(PeerServer.class);

  /** Large enough for a batch of appends of {@code maxSizePerMsg} each. */
  static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

  private final PeerHandler handler;
  private final List<Server> servers = new ArrayList<>();

  public PeerServer(PeerHandler handler) {
    this.handler = handler;
  }

  /**
   * Binds every {@code --listen-peer-urls} address; fails if any cannot be bound.
   *
   * @param tls the peer certificate for {@code https} URLs; null when there is none (the flags
   *     were checked to have none then)
   */
  public void start(List<URI> listenUrls, PortTls tls) throws IOException {
    for (URI url : listenUrls) {
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(new InetSocketAddress(url.getHost(), url.getPort()))
              .maxInboundMessageSize(MAX_MESSAGE_BYTES)
              .permitKeepAliveTime(5, TimeUnit.SECONDS)
              .callExecutor(PeerServer::executorFor)
              .addService(new Service());
      boolean https = "https".equals(url.getScheme());
      if (https) {
        if (tls == null) {
          throw new IllegalArgumentException("listen peer URL " + url + " is https but there is no peer certificate");
        }
        builder.protocolNegotiator(new RefusalLoggingNegotiator(tls.grpcServerContext(), "peer"));
      }
      Server server = builder.build().start();
      servers.add(server);
      LOG.info(
          "serving peer traffic",
          "address", url.getHost() + ":" + server.getPort(),
          "tls", https,
          "client-cert-auth", https && tls.clientCertAuth());
    }
  }

  /**
   * Raft streams are read on the transport's own thread: a frame only hands its messages to the
   * Raft loop's inbox, and a hop through the default executor would add a thread wake-up to every
   * message of a commit's round trip. Snapshots and the rest write files or wait, so they keep
   * the default executor (null).
   */
  private static <ReqT, RespT> Executor executorFor(ServerCall<ReqT, RespT> call, Metadata headers) {
    return call.getMethodDescriptor().getFullMethodName().equals(PeerGrpc.getRaftMethod().getFullMethodName()) ? Runnable::run : null;
  }

  /** The bound ports, in the order of the listen URLs (useful when a URL asked for port 0). */
  public List<Integer> ports() {
    return servers.stream().map(Server::getPort).toList();
  }

  @Override
  public void close() {
    for (Server s : servers) {
      s.shutdownNow();
      try {
        s.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    LOG.info("stopped serving peer traffic");
  }

  private String refusal(Handshake h) {
    String reason = HandshakeCheck.refusal(handler.version(), h);
    return reason != null ? reason : handler.admit(h);
  }

  /**
   * A peer speaks only for itself, and only with messages that travel between members: the
   * local-only types (a campaign trigger, heartbeat tick, transport reports) are never accepted
   * from the wire, as etcd's rafthttp drops them.
   */
  static boolean fromThisPeer(Message m, Handshake peer) {
    if (m.getFrom() != peer.getFromMemberId()) {
      LOG.debug("dropped message claiming another sender", "remote-peer-id", HandshakeCheck.hex(peer.getFromMemberId()),
          "claimed-from", HandshakeCheck.hex(m.getFrom()));
      return false;
    }
    return switch (m.getType()) {
      case MSG_HUP, MSG_BEAT, MSG_UNREACHABLE, MSG_SNAP_STATUS, MSG_CHECK_QUORUM -> false;
      default -> true;
    };
  }

  private final class Service extends PeerGrpc.PeerImplBase {

    @Override
    public void getVersion(VersionRequest request, StreamObserver<VersionResponse> out) {
      out.onNext(handler.version());
      out.onCompleted();
    }

    @Override
    public void getMembers(VersionRequest request, StreamObserver<io.kvorum.server.membership.pb.MembersResponse> out) {
      out.onNext(handler.members());
      out.onCompleted();
    }

    @Override
    public StreamObserver<PeerFrame> raft(StreamObserver<PeerReply> out) {
      return new StreamObserver<>() {
        private Handshake peer;
        private boolean closed;

        @Override
        public void onNext(PeerFrame frame) {
          if (peer == null) {
            if (!frame.hasHandshake()) {
              out.onError(Status.INVALID_ARGUMENT.withDescription("the first frame must be a handshake").asRuntimeException());
              return;
            }
            Handshake h = frame.getHandshake();
            String reason = refusal(h);
            if (reason != null) {
              LOG.warn(
                  "rejected stream from remote peer",
                  "remote-peer-id", HandshakeCheck.hex(h.getFromMemberId()),
                  "remote-server-version", h.getServerVersion(),
                  "reason", reason);
              out.onError(Status.FAILED_PRECONDITION.withDescription(reason).asRuntimeException());
              return;
            }
            peer = h;
            VersionResponse v = handler.version();
            out.onNext(
                PeerReply.newBuilder()
                    .setAccepted(
                        HandshakeAccepted.newBuilder()
                            .setMemberId(v.getMemberId())
                            .setServerVersion(v.getServerVersion())
                            .setProtocolVersion(v.getProtocolVersion()))
                    .build());
            LOG.info(
                "accepted stream from remote peer",
                "remote-peer-id", HandshakeCheck.hex(h.getFromMemberId()),
                "remote-server-version", h.getServerVersion());
            return;
          }
          if (closed) {
            return;
          }
          // Membership changes while a stream is open: a member removed since the handshake
          // is told so (etcd answers it 410 Gone), which makes it stop.
          String reason = handler.admit(peer);
          if (reason != null) {
            closed = true;
            LOG.warn("rejected stream from remote peer", "remote-peer-id", HandshakeCheck.hex(peer.getFromMemberId()), "reason", reason);
            out.onError(Status.FAILED_PRECONDITION.withDescription(reason).asRuntimeException());
            return;
          }
          for (Message m : frame.getBatch().getMessagesList()) {
            if (fromThisPeer(m, peer)) {
              handler.receive(m);
            }
          }
        }

        @Override
        public void onError(Throwable t) {
          if (peer != null) {
            LOG.debug("lost stream from remote peer", "remote-peer-id", HandshakeCheck.hex(peer.getFromMemberId()), "error", t);
          }
        }

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }

    @Override
    public StreamObserver<SnapshotChunk> snapshot(StreamObserver<SnapshotAck> out) {
      return new StreamObserver<>() {
        private Message message;
        private Path file;
        private OutputStream sink;
        private MessageDigest digest;
        private boolean failed;

        @Override
        public void onNext(SnapshotChunk chunk) {
          if (failed) {
            return;
          }
          try {
            if (message == null) {
              String reason = chunk.hasHandshake() ? refusal(chunk.getHandshake()) : "the first chunk must carry a handshake";
              if (reason != null) {
                fail(Status.FAILED_PRECONDITION.withDescription(reason));
                return;
              }
              message = chunk.getMessage();
              Files.createDirectories(handler.incomingSnapshotDir());
              file =
                  handler
                      .incomingSnapshotDir()
                      .resolve(String.format("%016x-%016x.snap.db.part", message.getSnapshot().getMetadata().getTerm(), message.getSnapshot().getMetadata().getIndex()));
              sink = Files.newOutputStream(file);
              digest = MessageDigest.getInstance("SHA-256");
              LOG.info(
                  "receiving database snapshot",
                  "remote-peer-id", HandshakeCheck.hex(message.getFrom()),
                  "snapshot-index", message.getSnapshot().getMetadata().getIndex());
            }
            byte[] data = chunk.getData().toByteArray();
            digest.update(data);
            sink.write(data);
            if (chunk.getLast()) {
              sink.close();
              if (!Arrays.equals(digest.digest(), chunk.getSha256().toByteArray())) {
                fail(Status.DATA_LOSS.withDescription("snapshot SHA-256 mismatch"));
                return;
              }
              Path done = file.resolveSibling(file.getFileName().toString().replace(".part", ""));
              Files.move(file, done, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
              LOG.info(
                  "received and saved database snapshot",
                  "remote-peer-id", HandshakeCheck.hex(message.getFrom()),
                  "snapshot-index", message.getSnapshot().getMetadata().getIndex(),
                  "size", Files.size(done));
              handler.receiveSnapshot(message, done);
              file = null;
            }
          } catch (IOException e) {
            fail(Status.INTERNAL.withDescription("cannot write snapshot: " + e.getMessage()));
          } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
          }
        }

        private void fail(Status status) {
          failed = true;
          LOG.warn("rejected snapshot from remote peer", "reason", status.getDescription());
          cleanup();
          out.onError(status.asRuntimeException());
        }

        private void cleanup() {
          try {
            if (sink != null) {
              sink.close();
            }
            if (file != null) {
              Files.deleteIfExists(file);
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }

        @Override
        public void onError(Throwable t) {
          cleanup();
        }

        @Override
        public void onCompleted() {
          if (failed) {
            return;
          }
          if (file != null) {
            fail(Status.INVALID_ARGUMENT.withDescription("snapshot stream ended before its last chunk"));
            return;
          }
          out.onNext(SnapshotAck.newBuilder().setApplied(true).build());
          out.onCompleted();
        }
      };
    }
  }
}
