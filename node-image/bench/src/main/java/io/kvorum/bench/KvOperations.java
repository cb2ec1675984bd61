package io.kvorum.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** The KV requests of the put, range and txn workloads, over etcd's v3 KV service. */
final class KvOperations {

  /** A request that takes longer than this fails, so a stalled server cannot hang the run. */
  static final long DEADLINE_SECONDS = 10;

  private KvOperations() {}

  /**
   * Builds the operation of {@code workload} and writes the keys it reads or swaps first (ranges
   * read one existing key; every CAS client owns one key whose revision it must know).
   *
   * @param setupStub a blocking stub for client c, used to write those keys before the run
   * @param stubs the asynchronous KV stub of client c
   */
  static Operation prepare(Workload workload, IntFunction<KVGrpc.KVBlockingStub> setupStub,
      IntFunction<KVGrpc.KVStub> stubs) {
    ByteString value = randomBytes(workload.valueSize());
    return switch (workload.kind()) {
      case PUT -> {
        KeyGenerator keys = new KeyGenerator("", workload.keySize(), workload.keySpace(),
            workload.sequentialKeys());
        yield (client, done) -> call(stubs.apply(client)).put(
            PutRequest.newBuilder().setKey(keys.next()).setValue(value).build(), observer(done));
      }
      case RANGE_LINEARIZABLE, RANGE_SERIALIZABLE -> {
        ByteString key = new KeyGenerator("range/", workload.keySize(), 1, true).key(0);
        blocking(setupStub.apply(0)).put(PutRequest.newBuilder().setKey(key).setValue(value)
            .build());
        RangeRequest request = RangeRequest.newBuilder().setKey(key)
            .setSerializable(workload.kind() == Workload.Kind.RANGE_SERIALIZABLE).build();
        yield (client, done) -> call(stubs.apply(client)).range(request, observer(done));
      }
      case TXN_CAS -> new CompareAndSwap(workload, value, setupStub, stubs);
      case WATCH -> throw new IllegalArgumentException("watch workloads run in WatchBench");
    };
  }

  static ByteString randomBytes(int size) {
    byte[] bytes = new byte[size];
    ThreadLocalRandom.current().nextBytes(bytes);
    return ByteString.copyFrom(bytes);
  }

  private static KVGrpc.KVStub call(KVGrpc.KVStub stub) {
    return stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  private static KVGrpc.KVBlockingStub blocking(KVGrpc.KVBlockingStub stub) {
    return stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  static <T> StreamObserver<T> observer(Operation.Completion done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {}

      @Override
      public void onError(Throwable error) {
        done.failed(error);
      }

      @Override
      public void onCompleted() {
        done.succeeded();
      }
    };
  }

  /**
   * Client c swaps key "cas/c" if its mod revision is still the one c last saw, else reads it.
   * Nobody else writes c's key, so a failed compare means the server lost or reordered a write:
   * it is counted as an error. The revision of a successful swap is the txn's header revision.
   */
  private static final class CompareAndSwap implements Operation {
    private final ByteString value;
    private final ByteString[] keys;
    private final long[] modRevisions;
    private final IntFunction<KVGrpc.KVStub> stubs;

    CompareAndSwap(Workload workload, ByteString value,
        IntFunction<KVGrpc.KVBlockingStub> setupStub, IntFunction<KVGrpc.KVStub> stubs) {
      this.value = value;
      this.stubs = stubs;
      int clients = workload.clients();
      KeyGenerator keyGenerator = new KeyGenerator("cas/", workload.keySize(), clients, true);
      keys = new ByteString[clients];
      modRevisions = new long[clients];
      for (int c = 0; c < clients; c++) {
        keys[c] = keyGenerator.key(c);
        modRevisions[c] = blocking(setupStub.apply(c)).put(PutRequest.newBuilder()
            .setKey(keys[c]).setValue(value).build()).getHeader().getRevision();
      }
    }

    @Override
    public void send(int client, Completion done) {
      ByteString key = keys[client];
      TxnRequest txn = TxnRequest.newBuilder()
          .addCompare(Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.MOD)
              .setResult(Compare.CompareResult.EQUAL).setModRevision(modRevisions[client]))
          .addSuccess(RequestOp.newBuilder().setRequestPut(
              PutRequest.newBuilder().setKey(key).setValue(value)))
          .addFailure(RequestOp.newBuilder().setRequestRange(
              RangeRequest.newBuilder().setKey(key)))
          .build();
      call(stubs.apply(client)).txn(txn, new StreamObserver<>() {
        private TxnResponse response;

        @Override
        public void onNext(TxnResponse value) {
          response = value;
        }

        @Override
        public void onError(Throwable error) {
          done.failed(error);
        }

        @Override
        public void onCompleted() {
          if (response.getSucceeded()) {
            modRevisions[client] = response.getHeader().getRevision();
            done.succeeded();
          } else {
            var kvs = response.getResponses(0).getResponseRange().getKvsList();
            modRevisions[client] = kvs.isEmpty() ? 0 : kvs.get(0).getModRevision();
            done.failed(new IllegalStateException("compare failed on "
                + key.toString(StandardCharsets.US_ASCII).replaceAll("^cas/0*", "cas/")
                + ": its mod revision changed though only this client writes it"));
          }
        }
      });
    }
  }
}
