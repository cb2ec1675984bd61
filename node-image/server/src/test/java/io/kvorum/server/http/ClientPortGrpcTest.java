package io.kvorum.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.SnapshotResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdException;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.grpc.LeaseService;
import io.kvorum.server.grpc.MaintenanceService;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import io.kvorum.server.grpc.proto.LeaseLeasesRequest;
import io.kvorum.server.grpc.proto.LeaseLeasesResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gRPC half of the client port, against a recording member. */
class ClientPortGrpcTest {
  static final long MAX_REQUEST_BYTES = 64 * 1024;

  static RecordingEtcdNode node = new RecordingEtcdNode();
  static ClientPort port;
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    port =
        new ClientPort(
            node,
            List.of("http://127.0.0.1:0"),
            ClientPortOptions.defaults().withMaxRequestBytes(MAX_REQUEST_BYTES));
    port.start();
    InetSocketAddress address = port.boundAddresses().getFirst();
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", address.getPort())
            .usePlaintext()
            .maxInboundMessageSize(8 * 1024 * 1024)
            .build();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    port.close();
  }

  @BeforeEach
  void resetNode() {
    node.reset();
  }

  KVGrpc.KVBlockingStub kv() {
    return KVGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void putReachesTheMemberUnchangedAndItsAnswerReachesTheClient() {
    PutResponse answer = PutResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).build();
    node.answer("put", (PutRequest r) -> answer);
    PutRequest put =
        PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("foo"))
            .setValue(ByteString.copyFromUtf8("bar"))
            .setLease(7)
            .setPrevKv(true)
            .build();

    PutResponse response = kv().put(put);

    assertThat(node.requestsOf("put")).containsExactly(put);
    assertThat(response).isEqualTo(answer);
  }

  @Test
  void anEtcdErrorKeepsItsCodeAndMessage() {
    node.fail(
        "leaseRevoke",
        new EtcdException(Status.Code.NOT_FOUND, "etcdserver: requested lease not found"));

    assertThatThrownBy(
            () ->
                LeaseGrpc.newBlockingStub(channel)
                    .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(99).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("etcdserver: requested lease not found");
            });
  }

  @Test
  void anUnexpectedFailureIsInternalAndSaysWhatHappened() {
    node.fail("range", new IllegalStateException("apply loop stopped"));

    assertThatThrownBy(() -> kv().range(range("a")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
              assertThat(e.getStatus().getDescription())
                  .contains("kvorum: internal error")
                  .contains("apply loop stopped");
            });
  }

  @Test
  void aRequestLargerThanMaxRequestBytesIsRefusedBeforeTheMemberSeesIt() {
    PutRequest big =
        PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("big"))
            .setValue(ByteString.copyFrom(new byte[(int) MAX_REQUEST_BYTES + 1]))
            .build();

    assertThatThrownBy(() -> kv().put(big))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("etcdserver: request is too large");
            });
    assertThat(node.requestsOf("put")).isEmpty();
  }

  @Test
  void aMessageBeyondTheTransportLimitFailsAndThePortKeepsServing() {
    PutRequest huge =
        PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("huge"))
            .setValue(ByteString.copyFrom(new byte[(int) (MAX_REQUEST_BYTES + 1024 * 1024)]))
            .build();

    assertThatThrownBy(() -> kv().put(huge))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("grpc: received message larger than max (" + huge.getSerializedSize() + " vs. "
                      + ClientPortOptions.defaults().withMaxRequestBytes(MAX_REQUEST_BYTES).maxGrpcMessageBytes() + ")");
            });
    assertThat(node.requestsOf("put")).isEmpty();

    node.answer("range", (RangeRequest r) -> RangeResponse.newBuilder().setCount(0).build());
    assertThat(kv().range(range("still-there")).getCount()).isZero();
  }

  @Test
  void bytesThatAreNotTheRequestMessageAreRefusedWithWhatWasWrongAndThePortKeepsServing() {
    MethodDescriptor<byte[], RangeResponse> rawRange =
        MethodDescriptor.<byte[], RangeResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(KVGrpc.getRangeMethod().getFullMethodName())
            .setRequestMarshaller(RawBytes.MARSHALLER)
            .setResponseMarshaller(ProtoUtils.marshaller(RangeResponse.getDefaultInstance()))
            .build();
    byte[] garbage = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 0x6b};

    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, rawRange, CallOptions.DEFAULT, garbage))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).startsWith("grpc: error unmarshalling request: ");
            });
    assertThat(node.requestsOf("range")).isEmpty();

    node.answer("range", (RangeRequest r) -> RangeResponse.newBuilder().setCount(3).build());
    assertThat(kv().range(range("still-there")).getCount()).isEqualTo(3);
  }

  @Test
  void aClientsDeadlineStillEndsACallTheMemberDoesNotAnswer() {
    CompletableFuture<RangeResponse> never = new CompletableFuture<>();
    node.answerAsync("range", (RangeRequest r) -> never);

    assertThatThrownBy(() -> kv().withDeadlineAfter(300, TimeUnit.MILLISECONDS).range(range("slow")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    node.answer("range", (RangeRequest r) -> RangeResponse.newBuilder().setCount(2).build());
    assertThat(kv().range(range("after")).getCount()).isEqualTo(2);
  }

  /** Sends a request's bytes as they are. */
  private enum RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    MARSHALLER;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      throw new UnsupportedOperationException("requests only");
    }
  }

  @Test
  void aTxnWithTooManyOperationsIsRefusedWithEtcdsMessage() {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (int i = 0; i <= ClientPortOptions.DEFAULT_MAX_TXN_OPS; i++) {
      txn.addSuccess(
          RequestOp.newBuilder()
              .setRequestPut(
                  PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("k" + i)).build()));
    }

    assertThatThrownBy(() -> kv().txn(txn.build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("etcdserver: too many operations in txn request");
            });
    assertThat(node.requestsOf("txn")).isEmpty();
  }

  @Test
  void aTxnCompareWithoutKeyAndARangeWithoutKeyAreRefused() {
    TxnRequest txn =
        TxnRequest.newBuilder().addCompare(Compare.newBuilder().setVersion(1)).build();

    assertThatThrownBy(() -> kv().txn(txn)).hasMessageContaining("etcdserver: key is not provided");
    assertThatThrownBy(() -> kv().range(RangeRequest.getDefaultInstance()))
        .hasMessageContaining("INVALID_ARGUMENT: etcdserver: key is not provided");
  }

  @Test
  void leaseLeasesIsServedUnderTheLeaseServiceBesideJetcdsMethods() {
    node.answer(
        "leaseLeases", ignored -> new EtcdNode.LeaseList(RecordingEtcdNode.HEADER, List.of(5L, 9L)));
    node.answer(
        "leaseGrant",
        (LeaseGrantRequest r) ->
            LeaseGrantResponse.newBuilder().setID(5).setTTL(r.getTTL()).build());

    LeaseLeasesResponse leases =
        ClientCalls.blockingUnaryCall(
            channel, LeaseService.LEASE_LEASES, CallOptions.DEFAULT,
            LeaseLeasesRequest.getDefaultInstance());
    LeaseGrantResponse granted =
        LeaseGrpc.newBlockingStub(channel).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build());

    assertThat(leases.getHeader()).isEqualTo(RecordingEtcdNode.HEADER);
    assertThat(leases.getLeasesList()).extracting(l -> l.getID()).containsExactly(5L, 9L);
    assertThat(granted.getTTL()).isEqualTo(60);
  }

  @Test
  void downgradeIsServedUnderTheMaintenanceServiceAndKeepsEtcdsErrors() {
    DowngradeRequest enable =
        DowngradeRequest.newBuilder()
            .setAction(DowngradeRequest.DowngradeAction.ENABLE)
            .setVersion("1.0.0")
            .build();
    node.answer(
        "downgrade",
        (DowngradeRequest r) ->
            DowngradeResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).setVersion("1.1.0").build());
    node.answer("status", ignored -> StatusResponse.newBuilder().setVersion("1.1.0").build());

    DowngradeResponse enabled =
        ClientCalls.blockingUnaryCall(channel, MaintenanceService.DOWNGRADE, CallOptions.DEFAULT, enable);
    StatusResponse status =
        MaintenanceGrpc.newBlockingStub(channel).status(StatusRequest.getDefaultInstance());

    assertThat(MaintenanceService.DOWNGRADE.getFullMethodName())
        .isEqualTo("etcdserverpb.Maintenance/Downgrade");
    assertThat(node.requestsOf("downgrade")).containsExactly(enable);
    assertThat(enabled.getHeader()).isEqualTo(RecordingEtcdNode.HEADER);
    assertThat(enabled.getVersion()).isEqualTo("1.1.0");
    assertThat(status.getVersion()).as("jetcd's methods are still served").isEqualTo("1.1.0");

    node.fail(
        "downgrade",
        new EtcdException(Status.Code.FAILED_PRECONDITION, "etcdserver: no inflight downgrade job"));
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    MaintenanceService.DOWNGRADE,
                    CallOptions.DEFAULT,
                    DowngradeRequest.newBuilder().setAction(DowngradeRequest.DowngradeAction.CANCEL).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).isEqualTo("etcdserver: no inflight downgrade job");
            });
  }

  @Test
  void drainIsServedAsKvorumsServingServiceWithWellKnownTypes() {
    node.answer("drain", ignored -> null);
    // What a client without Kvorum's generated code (the operator) builds from the name alone.
    MethodDescriptor<com.google.protobuf.Duration, com.google.protobuf.Empty> drain =
        MethodDescriptor.<com.google.protobuf.Duration, com.google.protobuf.Empty>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("kvorum.v1.Serving/Drain")
            .setRequestMarshaller(ProtoUtils.marshaller(com.google.protobuf.Duration.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(com.google.protobuf.Empty.getDefaultInstance()))
            .build();

    ClientCalls.blockingUnaryCall(channel, drain, CallOptions.DEFAULT,
        com.google.protobuf.Duration.newBuilder().setSeconds(60).setNanos(500_000_000).build());

    assertThat(node.requestsOf("drain")).containsExactly(java.time.Duration.ofMillis(60_500));

    node.fail("drain", new EtcdException(Status.Code.INVALID_ARGUMENT, "kvorum: a drain lasts from 0 s"));
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, drain, CallOptions.DEFAULT,
            com.google.protobuf.Duration.newBuilder().setSeconds(6000).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void keepAliveAnswersInOrderAndAnUnknownLeaseGetsTtlZeroNotAStreamError() throws Exception {
    node.answer(
        "leaseKeepAlive",
        (LeaseKeepAliveRequest r) -> {
          if (r.getID() == 404) {
            throw new EtcdException(Status.Code.NOT_FOUND, "etcdserver: requested lease not found");
          }
          return LeaseKeepAliveResponse.newBuilder()
              .setHeader(RecordingEtcdNode.HEADER)
              .setID(r.getID())
              .setTTL(30)
              .build();
        });
    Recorder<LeaseKeepAliveResponse> responses = new Recorder<>();
    StreamObserver<LeaseKeepAliveRequest> requests =
        LeaseGrpc.newStub(channel).leaseKeepAlive(responses);

    requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(1).build());
    requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(404).build());
    requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(2).build());
    requests.onCompleted();

    List<LeaseKeepAliveResponse> got = responses.awaitCompleted();
    assertThat(got).extracting(LeaseKeepAliveResponse::getID).containsExactly(1L, 404L, 2L);
    assertThat(got).extracting(LeaseKeepAliveResponse::getTTL).containsExactly(30L, 0L, 30L);
    assertThat(got.get(1).getHeader().getClusterId()).isEqualTo(node.info().clusterId());
  }

  @Test
  void watchForwardsCreateCancelProgressAndTheMembersEventsThenClosesWithTheStream()
      throws Exception {
    Recorder<WatchResponse> responses = new Recorder<>();
    StreamObserver<WatchRequest> requests = WatchGrpc.newStub(channel).watch(responses);
    WatchCreateRequest create =
        WatchCreateRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("foo"))
            .setRangeEnd(ByteString.copyFromUtf8("fop"))
            .setStartRevision(5)
            .setPrevKv(true)
            .build();

    requests.onNext(WatchRequest.newBuilder().setCreateRequest(create).build());
    awaitTrue(() -> node.watchRequests.size() == 1);
    node.watchSink.accept(WatchResponse.newBuilder().setWatchId(0).setCreated(true).build());
    node.watchSink.accept(
        WatchResponse.newBuilder()
            .setWatchId(0)
            .addEvents(
                io.etcd.jetcd.api.Event.newBuilder()
                    .setKv(KeyValue.newBuilder().setKey(ByteString.copyFromUtf8("foo1"))))
            .build());
    requests.onNext(
        WatchRequest.newBuilder()
            .setProgressRequest(io.etcd.jetcd.api.WatchProgressRequest.getDefaultInstance())
            .build());
    requests.onNext(
        WatchRequest.newBuilder()
            .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(0))
            .build());

    assertThat(responses.next().getCreated()).isTrue();
    assertThat(responses.next().getEvents(0).getKv().getKey().toStringUtf8()).isEqualTo("foo1");
    awaitTrue(() -> node.watchRequests.size() == 3);
    assertThat(node.watchRequests).containsExactly(create, "progress", "cancel 0");

    requests.onError(Status.CANCELLED.asRuntimeException());
    awaitTrue(() -> node.watchClosed);
  }

  @Test
  void snapshotIsStreamedInEtcdsChunksWithRemainingBytesAndTheDigestLast() throws Exception {
    byte[] database = new byte[70_000];
    new Random(1).nextBytes(database);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(database);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.write(database);
    stream.write(digest);
    node.answer("snapshot", ignored -> new ByteArrayInputStream(stream.toByteArray()));

    List<SnapshotResponse> chunks = new ArrayList<>();
    MaintenanceGrpc.newBlockingStub(channel)
        .snapshot(SnapshotRequest.getDefaultInstance())
        .forEachRemaining(chunks::add);

    assertThat(chunks).extracting(c -> c.getBlob().size()).containsExactly(32768, 32768, 4464, 32);
    assertThat(chunks)
        .extracting(SnapshotResponse::getRemainingBytes)
        .containsExactly(37232L, 4464L, 0L, 0L);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    for (SnapshotResponse chunk : chunks.subList(0, 3)) {
      chunk.getBlob().writeTo(received);
    }
    assertThat(received.toByteArray()).isEqualTo(database);
    assertThat(chunks.get(3).getBlob().toByteArray()).isEqualTo(digest);
  }

  @Test
  void aSnapshotWhoseDigestDoesNotMatchFailsWithDataLoss() {
    byte[] damaged = new byte[1000 + 32]; // zero digest cannot be the SHA-256 of 1000 zeros
    node.answer("snapshot", ignored -> new ByteArrayInputStream(damaged));

    assertThatThrownBy(
            () ->
                MaintenanceGrpc.newBlockingStub(channel)
                    .snapshot(SnapshotRequest.getDefaultInstance())
                    .forEachRemaining(c -> {}))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DATA_LOSS));
  }

  @Test
  void statusIsServed() {
    StatusResponse status =
        StatusResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).setVersion("1.2.3").build();
    node.answer("status", ignored -> status);

    assertThat(MaintenanceGrpc.newBlockingStub(channel).status(StatusRequest.getDefaultInstance()))
        .isEqualTo(status);
  }

  static RangeRequest range(String key) {
    return RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build();
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10s");
      }
      Thread.sleep(10);
    }
  }

  /** Collects what a server stream sends. */
  static final class Recorder<T> implements StreamObserver<T> {
    private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
    private static final Object COMPLETED = new Object();

    @Override
    public void onNext(T value) {
      items.add(value);
    }

    @Override
    public void onError(Throwable t) {
      items.add(t);
    }

    @Override
    public void onCompleted() {
      items.add(COMPLETED);
    }

    @SuppressWarnings("unchecked")
    T next() throws InterruptedException {
      Object item = items.poll(10, TimeUnit.SECONDS);
      if (item == null || item == COMPLETED || item instanceof Throwable) {
        throw new AssertionError("expected a message, got " + item);
      }
      return (T) item;
    }

    @SuppressWarnings("unchecked")
    List<T> awaitCompleted() throws InterruptedException {
      List<T> got = new ArrayList<>();
      while (true) {
        Object item = items.poll(10, TimeUnit.SECONDS);
        if (item == COMPLETED) {
          return got;
        }
        if (item == null || item instanceof Throwable) {
          throw new AssertionError("stream did not complete: " + item + " after " + got);
        }
        got.add((T) item);
      }
    }
  }
}
