package io.kvorum.server.peer;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.kvorum.raft.pb.Message;
import io.kvorum.server.log.Log;
import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.PeerFrame;
import io.kvorum.server.peer.pb.PeerGrpc;
import io.kvorum.server.peer.pb.PeerReply;
import io.kvorum.server.peer.pb.RaftBatch;
import io.kvorum.server.tls.GrpcChannels;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The outgoing stream to one member. A writer thread keeps a handshaken gRPC stream open,
 * reconnecting with capped exponential backoff.
 *
 * <p>While the stream is up and has room ({@code isReady}) and nothing is waiting before them,
 * messages go onto it on the sender's own thread (the Raft loop): a commit needs a round trip to
 * the followers, and every hand-off between threads on it costs a wake-up, which on a busy
 * machine is the biggest part of a write's latency. Otherwise (connecting, or the peer reads
 * slower than we write) they wait in a bounded backlog that the writer thread drains in order,
 * so a stream never carries messages out of order.
 *
 * <p>Delivery is best effort, as Raft expects of a transport: a message that cannot be sent
 * (backlog full, no connection) is dropped and the member is reported unreachable, so Raft
 * probes it instead of streaming blindly.
 */
final class RemotePeer implements AutoCloseable {
  private static final Log LOG = Log.get(RemotePeer.class);

  private static final int QUEUE_CAPACITY = 4096;
  private static final int MAX_BATCH_MESSAGES = 256;
  private static final long MIN_BACKOFF_MS = 50;
  /**
   * Low, as etcd's stream dialer (it retries every 100 ms): members of a new or restarted cluster
   * come up seconds apart, and with a 2 s cap the first election waited for the backoff, not for
   * the peer. A refused connect on a LAN costs next to nothing.
   */
  private static final long MAX_BACKOFF_MS = 400;
  private static final long HANDSHAKE_TIMEOUT_MS = 10_000;

  private final long id;
  private final Supplier<Handshake> handshake;
  private final TransportListener listener;
  private final GrpcChannels channels;
  /** Guards {@link #backlog}, {@link #live}, {@link #writerHolds} and every write to the stream. */
  private final Object sendLock = new Object();
  private final ArrayDeque<Message> backlog = new ArrayDeque<>();
  /** The handshaken stream, or null while there is none. */
  private ClientCallStreamObserver<PeerFrame> live;
  /** The writer thread took messages out of the backlog and has not written them yet. */
  private boolean writerHolds;
  private final Thread writer;
  private volatile List<URI> urls;
  private volatile boolean running = true;
  private volatile boolean connected;
  private volatile ManagedChannel channel;
  private String lastProblem = "";

  RemotePeer(long id, List<URI> urls, Supplier<Handshake> handshake, TransportListener listener, GrpcChannels channels) {
    this.id = id;
    this.channels = channels;
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

  /** Sends {@code messages} (all to this member) in order, without blocking. */
  void send(List<Message> messages) {
    synchronized (sendLock) {
      if (live != null && backlog.isEmpty() && !writerHolds && live.isReady()) {
        if (!write(live, messages)) {
          listener.unreachable(id);
        }
        return;
      }
      if (backlog.size() + messages.size() > QUEUE_CAPACITY) {
        LOG.debug("dropped internal Raft message since sending buffer is full", "remote-peer-id", hex());
        listener.unreachable(id);
        return;
      }
      backlog.addAll(messages);
      sendLock.notifyAll();
    }
  }

  /** Caller holds {@link #sendLock}. False if the stream refused the frame (it is closing). */
  private static boolean write(ClientCallStreamObserver<PeerFrame> out, List<Message> messages) {
    try {
      out.onNext(PeerFrame.newBuilder().setBatch(RaftBatch.newBuilder().addAllMessages(messages)).build());
      return true;
    } catch (RuntimeException e) {
      return false;
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
        channels
            .builder(url)
            .maxInboundMessageSize(PeerServer.MAX_MESSAGE_BYTES)
            .keepAliveTime(10, TimeUnit.SECONDS)
            .build();
    CompletableFuture<PeerReply> accepted = new CompletableFuture<>();
    CompletableFuture<Void> closed = new CompletableFuture<>();
    Object readyLock = new Object();
    ClientResponseObserver<PeerFrame, PeerReply> responses =
        new ClientResponseObserver<>() {
          private ClientCallStreamObserver<PeerFrame> requests;

          @Override
          public void beforeStart(ClientCallStreamObserver<PeerFrame> requestStream) {
            requests = requestStream;
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
            streamEnded(requests);
          }

          @Override
          public void onCompleted() {
            accepted.completeExceptionally(Status.UNAVAILABLE.withDescription("stream closed").asRuntimeException());
            closed.complete(null);
            streamEnded(requests);
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
    synchronized (sendLock) {
      live = out;
    }
    List<Message> batch = new ArrayList<>();
    try {
      while (running && !closed.isDone()) {
        synchronized (sendLock) {
          writerHolds = false;
          if (backlog.isEmpty()) {
            sendLock.wait(100);
            continue;
          }
          for (int n = 0; n < MAX_BATCH_MESSAGES && !backlog.isEmpty(); n++) {
            batch.add(backlog.poll());
          }
          writerHolds = true;
        }
        synchronized (readyLock) {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
          while (!out.isReady() && !closed.isDone() && System.nanoTime() < deadline) {
            readyLock.wait(50);
          }
        }
        boolean sent;
        synchronized (sendLock) {
          // The peer is not reading: drop rather than buffer without bound.
          sent = out.isReady() && write(out, batch);
        }
        if (!sent) {
          listener.unreachable(id);
        }
        batch.clear();
      }
    } finally {
      synchronized (sendLock) {
        live = null;
        writerHolds = false;
      }
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

  /** The stream {@code ended} broke: stop writing to it, and wake the writer to reconnect. */
  private void streamEnded(ClientCallStreamObserver<PeerFrame> ended) {
    synchronized (sendLock) {
      if (live == ended) {
        live = null;
      }
      sendLock.notifyAll();
    }
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
    boolean dropped;
    synchronized (sendLock) {
      dropped = !backlog.isEmpty();
      backlog.clear();
    }
    if (dropped) {
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
