package io.kvorum.server;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.config.FlagParser;
import io.kvorum.server.config.ServerConfig;
import io.kvorum.server.log.Log;
import io.kvorum.storage.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code kvorum aot-training}: the training run of the JVM's ahead-of-time cache (JEP 483, 515).
 * The image build runs it once under {@code -XX:AOTCacheOutput}; members then start with {@code
 * -XX:AOTCache}, with the classes the run loaded already parsed and linked and the profiles of
 * the methods it ran already collected. That took a fresh single-member start from 3.9 s to 1.4 s
 * to healthy on the project's 2-core VM.
 *
 * <p>It starts a throwaway single member on loopback ports in a temporary data dir and uses it as
 * clients do: puts, reads of both kinds, transactions, deletes, a compaction, a watch, a lease
 * with a keep-alive, member list and status over gRPC; {@code /health}, {@code /version}, {@code
 * /metrics} and the JSON gateway over HTTP/1.1. Then it stops the member and deletes the data
 * dir. Exit code 0, or 1 with the reason on stderr.
 */
final class AotTraining {
  private static final int ROUNDS = 2_000;
  private static final long TIMEOUT_SECONDS = 10;
  /** For all of the puts, reads and transactions together: a few seconds on a 2-core VM. */
  private static final long KV_BUDGET_SECONDS = 120;

  private AotTraining() {}

  static int run() {
    Path dataDir = null;
    try {
      dataDir = Files.createTempDirectory("kvorum-aot-training-");
      URI client = URI.create("http://127.0.0.1:" + freePort());
      URI peer = URI.create("http://127.0.0.1:" + freePort());
      ServerConfig config =
          FlagParser.parse(
              new String[] {
                "--name=aot-training",
                "--data-dir=" + dataDir.resolve("member"),
                "--listen-client-urls=" + client,
                "--advertise-client-urls=" + client,
                "--listen-peer-urls=" + peer,
                "--initial-advertise-peer-urls=" + peer,
                "--initial-cluster=aot-training=" + peer,
                "--log-level=warn",
              },
              Map.of());
      Log.configure(config.logLevel(), config.logOutputs());
      RunningMember member = RunningMember.start(config);
      try {
        exerciseGrpc(client);
        exerciseHttp(client);
      } finally {
        if (!member.stop()) {
          throw new IllegalStateException("the training member did not stop cleanly");
        }
      }
      return 0;
    } catch (IOException | RunningMember.StartFailure | RuntimeException | InterruptedException e) {
      System.err.println("kvorum aot-training: " + e);
      return 1;
    } finally {
      deleteQuietly(dataDir);
    }
  }

  private static void exerciseGrpc(URI client) throws InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forAddress(client.getHost(), client.getPort()).usePlaintext().build();
    try {
      KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel).withDeadlineAfter(KV_BUDGET_SECONDS, TimeUnit.SECONDS);
      Answers<WatchResponse> events = new Answers<>();
      StreamObserver<WatchRequest> watch = WatchGrpc.newStub(channel).watch(events);
      watch.onNext(WatchRequest.newBuilder()
          .setCreateRequest(WatchCreateRequest.newBuilder().setKey(bytes("training/")).setRangeEnd(bytes("training0")))
          .build());
      for (int i = 0; i < ROUNDS; i++) {
        ByteString key = bytes("training/" + (i % 100));
        long revision = kv.put(PutRequest.newBuilder().setKey(key).setValue(bytes("value-" + i)).build()).getHeader().getRevision();
        kv.range(RangeRequest.newBuilder().setKey(key).setSerializable(i % 2 == 0).build());
        kv.txn(TxnRequest.newBuilder()
            .addCompare(Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.MOD).setResult(Compare.CompareResult.EQUAL).setModRevision(revision))
            .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(bytes("swapped-" + i))))
            .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key)))
            .build());
      }
      kv.range(RangeRequest.newBuilder().setKey(bytes("training/")).setRangeEnd(bytes("training0")).setLimit(10).build());
      long last = kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(bytes("training/")).setRangeEnd(bytes("training0")).build())
          .getHeader().getRevision();
      kv.compact(CompactionRequest.newBuilder().setRevision(last).build());
      // The first answer only says the watch was created; the events come after it.
      events.next("the training watch", answer -> answer.getEventsCount() > 0);
      watch.onCompleted();

      LeaseGrpc.LeaseBlockingStub leases = LeaseGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      long lease = leases.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build()).getID();
      kv.put(PutRequest.newBuilder().setKey(bytes("training-lease")).setValue(bytes("held")).setLease(lease).build());
      Answers<LeaseKeepAliveResponse> renewals = new Answers<>();
      StreamObserver<LeaseKeepAliveRequest> keepAlive = LeaseGrpc.newStub(channel).leaseKeepAlive(renewals);
      keepAlive.onNext(LeaseKeepAliveRequest.newBuilder().setID(lease).build());
      renewals.next("the training lease's keep-alive", answer -> answer.getTTL() > 0);
      keepAlive.onCompleted();
      leases.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(lease).setKeys(true).build());
      leases.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease).build());

      ClusterGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS).memberList(MemberListRequest.getDefaultInstance());
      MaintenanceGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
  }

  private static void exerciseHttp(URI client) throws IOException, InterruptedException {
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      for (String path : List.of("/health", "/version", "/metrics")) {
        expectOk(http, HttpRequest.newBuilder(client.resolve(path)).GET().build());
      }
      for (int i = 0; i < ROUNDS / 10; i++) {
        String value = Base64.getEncoder().encodeToString(("value-" + i).getBytes(StandardCharsets.UTF_8));
        expectOk(http, post(client, "/v3/kv/put", "{\"key\":\"dHJhaW5pbmc=\",\"value\":\"" + value + "\"}"));
        expectOk(http, post(client, "/v3/kv/range", "{\"key\":\"dHJhaW5pbmc=\"}"));
      }
    }
  }

  private static HttpRequest post(URI client, String path, String json) {
    return HttpRequest.newBuilder(client.resolve(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
  }

  private static void expectOk(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(request.uri().getPath() + " answered " + response.statusCode() + ": " + response.body());
    }
  }

  /** A stream's answers in order; {@link #next} says how the stream failed if it did. */
  private static final class Answers<T> implements StreamObserver<T> {
    private final LinkedBlockingQueue<T> queue = new LinkedBlockingQueue<>();
    private volatile Throwable failure;

    @Override
    public void onNext(T value) {
      queue.add(value);
    }

    @Override
    public void onError(Throwable t) {
      failure = t;
    }

    @Override
    public void onCompleted() {}

    /** The next answer {@code wanted} accepts, skipping others, within {@link #TIMEOUT_SECONDS}. */
    T next(String what, Predicate<T> wanted) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
      while (System.nanoTime() < deadline) {
        T answer = queue.poll(100, TimeUnit.MILLISECONDS);
        if (answer != null && wanted.test(answer)) {
          return answer;
        }
        if (answer == null && failure != null) {
          throw new IllegalStateException(what + ": the stream failed: " + failure);
        }
      }
      throw new IllegalStateException(what + ": no answer within " + TIMEOUT_SECONDS + " s");
    }
  }


  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try {
      FileTrees.deleteRecursively(dir);
    } catch (UncheckedIOException e) {
      System.err.println("kvorum aot-training: " + e.getMessage());
    }
  }

}
