package io.kvorum.server.peer;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.kvorum.raft.pb.Message;
import io.kvorum.server.log.Log;
import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.PeerFrame;
import io.kvorum.server.peer.pb.PeerGrpc;
import io.kvorum.server.peer.pb.PeerReply;
import io.kvorum.server.peer.pb.RaftBatch;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The outgoing stream to one member: a bounded queue drained by one writer thread that keeps a
 * handshaken gRPC stream open, reconnecting with capped exponential backoff.
 *
 * <p>Delivery is best effort, as Raft expects of a transport: a message that cannot be sent
 * (queue full, no connection) is dropped and the member is reported unreachable, so Raft
 * probes it instead of streaming blindly.
 */
final class RemotePeer implements AutoCloseable {
  private static final Log LOG = Log.get(RemotePeer.class);

  private static final int QUEUE_CAPACITY = 4096;
  private static final int MAX_BATCH_MESSAGES = 256;
  private static final long MIN_BACKOFF_MS = 50;
  private static final long MAX_BACKOFF_MS = 2000;
  private static final long HANDSHAKE_TIMEOUT_MS = 10_000;

  private final long id;
  private final Supplier<Handshake> handshake;
  private final TransportListener listener;
  private final BlockingQueue<Message> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final Thread writer;
  private volatile List<URI> urls;
  private volatile boolean running = true;
  private volatile boolean connected;
  private volatile ManagedChannel channel;
  private String lastProblem = "";

  RemotePeer(long id, List<URI> urls, Supplier<Handshake> handshake, TransportListener listener) {
    this.id = id;
    this.urls = List.copyOf(urls);
    this.handshake = handshake;
    this.listener = listener;
    this.writer = Thread.ofPlatform().daemon().name("peer-writer-" + Long.toHexString(id)).start(this::run);
  }

  long id() {
    return id;
  }

  boolean connected() {
    return connected;
  }

  void updateUrls(List<URI> newUrls) {
    if (newUrls.equals(urls)) {
      return;
    }
    this.urls = List.copyOf(newUrls);
    ManagedChannel c = channel;
    if (c != null) {
      c.shutdownNow();
    }
  }

  void send(Message m) {
    if (!queue.offer(m)) {
      LOG.debug("dropped internal Raft message since sending buffer is full", "remote-peer-id", hex());
      listener.unreachable(id);
    }
  }

  private void run() {
    long backoff = MIN_BACKOFF_MS;
    int urlIndex = 0;
    while (running) {
      List<URI> candidates = urls;
      URI url = candidates.get(Math.floorMod(urlIndex, candidates.size()));
      try {
        stream(url);
        backoff = MIN_BACKOFF_MS;
      } catch (StatusRuntimeException e) {
        note(e.getStatus(), url);
        urlIndex++;
      } catch (InterruptedException e) {
        if (!running) {
          break;
        }
      } finally {
        connected = false;
        ManagedChannel c = channel;
        if (c != null) {
          c.shutdownNow();
        }
      }
      dropQueued();
      sleep(backoff + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }

  /** Opens a stream, handshakes, and forwards queued messages until the stream breaks. */
  private void stream(URI url) throws InterruptedException {
    channel =
        NettyChannelBuilder.forAddress(url.getHost(), url.getPort())
            .usePlaintext()
            .maxInboundMessageSize(PeerServer.MAX_MESSAGE_BYTES)
            .keepAliveTime(10, TimeUnit.SECONDS)
            .build();
    CompletableFuture<PeerReply> accepted = new CompletableFuture<>();
    CompletableFuture<Void> closed = new CompletableFuture<>();
    Object readyLock = new Object();
    ClientResponseObserver<PeerFrame, PeerReply> responses =
        new ClientResponseObserver<>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<PeerFrame> requestStream) {
            requestStream.setOnReadyHandler(
                () -> {
                  synchronized (readyLock) {
                    readyLock.notifyAll();
                  }
                });
          }

          @Override
          public void onNext(PeerReply reply) {
            accepted.complete(reply);
          }

          @Override
          public void onError(Throwable t) {
            accepted.completeExceptionally(t);
            closed.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            accepted.completeExceptionally(Status.UNAVAILABLE.withDescription("stream closed").asRuntimeException());
            closed.complete(null);
          }
        };
    ClientCallStreamObserver<PeerFrame> out =
        (ClientCallStreamObserver<PeerFrame>) PeerGrpc.newStub(channel).raft(responses);
    out.onNext(PeerFrame.newBuilder().setHandshake(handshake.get()).build());
    PeerReply reply;
    try {
      reply = accepted.get(HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof StatusRuntimeException s ? s : Status.fromThrowable(e.getCause()).asRuntimeException();
    } catch (java.util.concurrent.TimeoutException e) {
      out.cancel("handshake timed out", null);
      throw Status.DEADLINE_EXCEEDED.withDescription("no handshake answer within " + HANDSHAKE_TIMEOUT_MS + "ms").asRuntimeException();
    }
    connected = true;
    lastProblem = "";
    LOG.info(
        "established stream with remote peer",
        "remote-peer-id", hex(),
        "remote-peer-url", url.toString(),
        "remote-server-version", reply.getAccepted().getServerVersion());
    List<Message> batch = new ArrayList<>();
    try {
      while (running && !closed.isDone()) {
        Message first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH_MESSAGES - 1);
        synchronized (readyLock) {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
          while (!out.isReady() && !closed.isDone() && System.nanoTime() < deadline) {
            readyLock.wait(50);
          }
        }
        if (!out.isReady()) {
          // The peer is not reading: drop rather than buffer without bound.
          batch.forEach(m -> listener.unreachable(id));
          batch.clear();
          continue;
        }
        out.onNext(PeerFrame.newBuilder().setBatch(RaftBatch.newBuilder().addAllMessages(batch)).build());
        batch.clear();
      }
    } finally {
      if (!batch.isEmpty()) {
        listener.unreachable(id);
      }
    }
    if (running) {
      try {
        closed.getNow(null);
      } catch (java.util.concurrent.CompletionException e) {
        throw Status.fromThrowable(e.getCause()).asRuntimeException();
      }
      throw Status.UNAVAILABLE.withDescription("stream closed by remote peer").asRuntimeException();
    }
    out.onCompleted();
  }

  private void note(Status status, URI url) {
    if (status.getCode() == Status.Code.FAILED_PRECONDITION) {
      listener.refused(id, String.valueOf(status.getDescription()));
    }
    String problem = status.getCode() + ": " + status.getDescription();
    if (problem.equals(lastProblem)) {
      return;
    }
    lastProblem = problem;
    if (status.getCode() == Status.Code.FAILED_PRECONDITION) {
      LOG.error(
          "remote peer refused the connection",
          "remote-peer-id", hex(),
          "remote-peer-url", url.toString(),
          "reason", status.getDescription());
    } else {
      LOG.warn(
          "lost TCP streaming connection with remote peer",
          "remote-peer-id", hex(),
          "remote-peer-url", url.toString(),
          "error", problem);
    }
  }

  private void dropQueued() {
    if (!queue.isEmpty()) {
      queue.clear();
      listener.unreachable(id);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String hex() {
    return Long.toHexString(id);
  }

  @Override
  public void close() {
    running = false;
    writer.interrupt();
    ManagedChannel c = channel;
    if (c != null) {
      c.shutdownNow();
    }
    try {
      writer.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
