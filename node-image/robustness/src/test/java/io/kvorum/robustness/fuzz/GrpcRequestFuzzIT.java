package io.kvorum.robustness.fuzz;

import com.google.protobuf.Message;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * Bad etcd v3 gRPC requests against a real 1-member Kvorum: well-formed messages with values no
 * client should send ({@link EtcdRequests}), deeply nested txns, and byte-mutated messages that
 * are not valid protobuf at all.
 *
 * <p>Pass: every call ends within {@link FuzzedNode#CALL_DEADLINE} with a response or with an
 * error status that is a client error ({@link #CLEAR_ERRORS}) and says what was wrong; and after
 * each property the member still runs, takes a write, and still has the data written before.
 * {@code UNKNOWN} or {@code INTERNAL} (an exception nobody mapped), {@code UNAVAILABLE} (the
 * member went away) and {@code DEADLINE_EXCEEDED} (a hang) fail. jqwik prints the failing
 * request (shrunk) and the seed to replay it.
 */
@net.jqwik.api.lifecycle.AddLifecycleHook(NeedsFuzzTarget.class)
class GrpcRequestFuzzIT {

    /** Errors that tell the client it sent something wrong, as etcd's do. */
    static final Set<Status.Code> CLEAR_ERRORS = Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.OUT_OF_RANGE,
            Status.Code.FAILED_PRECONDITION, Status.Code.NOT_FOUND, Status.Code.RESOURCE_EXHAUSTED, Status.Code.ALREADY_EXISTS);

    @AfterContainer
    static void reportKnownFindings() {
        System.out.println("gRPC fuzzer: known findings seen " + KnownFinding.counts());
    }

    @AfterProperty
    void memberStillServesWithItsData() {
        FuzzedNode.shared().assertStillServesWithDataIntact("the fuzzed requests");
    }

    /** One unary call: which method, and the request, printed in protobuf text form (shortened). */
    record Call(MethodDescriptor<Message, Message> method, Message request) {
        @Override
        public String toString() {
            String text = request.toString();
            return method.getFullMethodName() + " (" + request.getSerializedSize() + " bytes) "
                    + (text.length() > 1500 ? text.substring(0, 1500) + "...[" + text.length() + " chars]" : text);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Arbitrary<Call> calls(MethodDescriptor method, Arbitrary<? extends Message> requests) {
        return requests.map(r -> new Call(method, r));
    }

    @Provide
    Arbitrary<Call> unaryCalls() {
        return Arbitraries.oneOf(
                calls(KVGrpc.getRangeMethod(), EtcdRequests.range()),
                calls(KVGrpc.getPutMethod(), EtcdRequests.put()),
                calls(KVGrpc.getDeleteRangeMethod(), EtcdRequests.deleteRange()),
                calls(KVGrpc.getTxnMethod(), EtcdRequests.txn(3)),
                calls(LeaseGrpc.getLeaseGrantMethod(), EtcdRequests.leaseGrant()),
                calls(LeaseGrpc.getLeaseRevokeMethod(), EtcdRequests.leaseRevoke()),
                calls(LeaseGrpc.getLeaseTimeToLiveMethod(), EtcdRequests.leaseTimeToLive()));
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void unaryRequestsGetAnAnswerOrAClearError(@ForAll("unaryCalls") Call call) {
        assertClearOutcome(call.toString(), () -> callRaw(call.method().getFullMethodName(), call.request().toByteArray()));
    }

    @Property(tries = 20, shrinking = ShrinkingMode.BOUNDED)
    void deeplyNestedTxnsGetAnAnswerOrAClearError(@ForAll @IntRange(min = 1, max = 400) int depth) {
        var txn = EtcdRequests.nestedTxn(depth);
        assertClearOutcome("a txn nested " + depth + " deep", () -> callRaw(KVGrpc.getTxnMethod().getFullMethodName(), txn.toByteArray()));
    }

    // --- bytes that are not the message they claim to be ----------------------------------

    /** A read-only or single-key method with a valid request to start mutating from. */
    @Provide
    Arbitrary<Call> mutationSeeds() {
        // Only methods whose mutants cannot delete a range: a flipped byte in a DeleteRange key
        // could turn "fuzz/" into a prefix below the checked data.
        return Arbitraries.oneOf(
                calls(KVGrpc.getRangeMethod(), EtcdRequests.range()),
                calls(KVGrpc.getPutMethod(), EtcdRequests.put()),
                calls(LeaseGrpc.getLeaseGrantMethod(), EtcdRequests.leaseGrant()),
                calls(LeaseGrpc.getLeaseTimeToLiveMethod(), EtcdRequests.leaseTimeToLive()));
    }

    /** How to break a serialized message. */
    enum Mutation { FLIP_BYTES, TRUNCATE, INSERT_GARBAGE, RANDOM_BYTES, HUGE_LENGTH_PREFIX }

    record Mutant(String method, byte[] bytes, String origin) {
        @Override
        public String toString() {
            return method + " <- " + origin + ": " + java.util.HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 400))
                    + (bytes.length > 400 ? "...(" + bytes.length + " bytes)" : "");
        }
    }

    @Provide
    Arbitrary<Mutant> mutants() {
        return Combinators.combine(mutationSeeds(), Arbitraries.of(Mutation.class), Arbitraries.longs())
                .as((call, mutation, seed) -> {
                    byte[] b = call.request().toByteArray();
                    java.util.Random r = new java.util.Random(seed);
                    byte[] out = switch (mutation) {
                        case FLIP_BYTES -> {
                            byte[] c = b.clone();
                            for (int i = 0; i < 1 + r.nextInt(4) && c.length > 0; i++) {
                                c[r.nextInt(c.length)] ^= (byte) (1 + r.nextInt(255));
                            }
                            yield c;
                        }
                        case TRUNCATE -> java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length));
                        case INSERT_GARBAGE -> {
                            int at = r.nextInt(b.length + 1);
                            byte[] junk = new byte[1 + r.nextInt(16)];
                            r.nextBytes(junk);
                            byte[] c = new byte[b.length + junk.length];
                            System.arraycopy(b, 0, c, 0, at);
                            System.arraycopy(junk, 0, c, at, junk.length);
                            System.arraycopy(b, at, c, at + junk.length, b.length - at);
                            yield c;
                        }
                        case RANDOM_BYTES -> {
                            byte[] c = new byte[r.nextInt(64)];
                            r.nextBytes(c);
                            yield c;
                        }
                        // field 1, length-delimited, claiming 2 GiB that never come
                        case HUGE_LENGTH_PREFIX -> new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 'k'};
                    };
                    return new Mutant(call.method().getFullMethodName(), out, mutation + " of " + call);
                });
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void bytesThatAreNotTheRequestGetAClearError(@ForAll("mutants") Mutant mutant) {
        // A mutant may still parse, as some other valid request; then any clear answer will do.
        // One that does not parse may be refused as INTERNAL, as grpc-go refuses it for etcd
        // ("grpc: error unmarshalling request"), but only with a description.
        try {
            callRaw(mutant.method(), mutant.bytes());
        } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            boolean parseError = s.getCode() == Status.Code.INTERNAL && s.getDescription() != null
                    && s.getDescription().toLowerCase(java.util.Locale.ROOT).matches(".*(pars|unmarshal|protobuf|invalid).*");
            if (!parseError) {
                requireClear(mutant.toString(), s);
            }
        }
    }

    /**
     * Sends the request bytes as they are and does not parse the answer: the client's protobuf
     * parser has limits of its own (a txn nested 49 deep answers with a response nested deeper
     * than it parses), which say nothing about the server.
     */
    private static byte[] callRaw(String fullMethodName, byte[] request) {
        MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(fullMethodName).setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
        return ClientCalls.blockingUnaryCall(FuzzedNode.shared().channel(), raw, options(), request);
    }

    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };

    // --- streams ---------------------------------------------------------------------------

    @Provide
    Arbitrary<List<WatchRequest>> watchStreams() {
        Arbitrary<WatchRequest> one = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, EtcdRequests.watchCreate().map(c -> WatchRequest.newBuilder().setCreateRequest(c).build())),
                net.jqwik.api.Tuple.of(2, EtcdRequests.anyLong().map(id -> WatchRequest.newBuilder()
                        .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(id)).build())),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build())),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(WatchRequest.getDefaultInstance())));
        return one.list().ofMinSize(1).ofMaxSize(4);
    }

    /**
     * A watch stream fed requests no client sends: it must answer each one (created, canceled,
     * progress, or created with an error in the response), or end with a clear error; it may
     * not go silent.
     */
    @Property(shrinking = ShrinkingMode.BOUNDED)
    void watchStreamsAnswerOrEndWithAClearError(@ForAll("watchStreams") List<WatchRequest> requests) throws Exception {
        FirstAnswer<WatchResponse> answer = FirstAnswer.endMayAnswer();
        StreamObserver<WatchRequest> out = WatchGrpc.newStub(FuzzedNode.shared().channel())
                .withDeadlineAfter(FuzzedNode.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .watch(answer);
        requests.forEach(out::onNext);
        awaitStreamAnswer("watch stream " + requests, answer.future, requests.stream().allMatch(r -> r.hasCancelRequest() || r.equals(WatchRequest.getDefaultInstance())));
        out.onCompleted();
    }

    /** LeaseKeepAlive for ids that mostly do not exist: an answer (TTL -1 for an unknown lease) or a clear error. */
    @Property(shrinking = ShrinkingMode.BOUNDED)
    void leaseKeepAlivesAnswerOrEndWithAClearError(@ForAll("anyId") long id) throws Exception {
        FirstAnswer<LeaseKeepAliveResponse> answer = FirstAnswer.endMayAnswer();
        StreamObserver<LeaseKeepAliveRequest> out = LeaseGrpc.newStub(FuzzedNode.shared().channel())
                .withDeadlineAfter(FuzzedNode.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .leaseKeepAlive(answer);
        out.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
        awaitStreamAnswer("lease keep-alive of " + id, answer.future, false);
        out.onCompleted();
    }

    @Provide
    Arbitrary<Long> anyId() {
        return EtcdRequests.anyLong();
    }

    /**
     * Waits for the stream's first answer. A stream of only cancels of unknown watches (or
     * empty requests) may rightly stay silent, as etcd's does; then silence until a short
     * bound is fine.
     */
    private static void awaitStreamAnswer(String what, CompletableFuture<?> firstAnswer, boolean silenceAllowed) throws Exception {
        try {
            firstAnswer.get(silenceAllowed ? 2_000 : FuzzedNode.CALL_DEADLINE.toMillis() + 2_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            if (!silenceAllowed) {
                throw new AssertionError(what + ": no answer and no error within " + FuzzedNode.CALL_DEADLINE);
            }
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof StatusRuntimeException sre)) {
                throw new AssertionError(what + ": failed with " + e.getCause(), e.getCause());
            }
            requireClear(what, sre.getStatus());
        }
    }

    /** Not protobuf at all (field 1 claims 2 GiB): refused with some description, and the member lives on. */
    @Example
    void aRequestThatIsNotProtobufIsRefused() {
        byte[] notProtobuf = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 'k'};
        try {
            callRaw(KVGrpc.getRangeMethod().getFullMethodName(), notProtobuf);
            throw new AssertionError("7 bytes that are no RangeRequest were answered as one");
        } catch (StatusRuntimeException e) {
            org.assertj.core.api.Assertions.assertThat(e.getStatus().getCode()).isIn(Status.Code.INTERNAL, Status.Code.INVALID_ARGUMENT);
            org.assertj.core.api.Assertions.assertThat(e.getStatus().getDescription()).isNotBlank();
            System.out.println("a KV/Range request of bytes 0a ff ff ff ff 07 6b: " + e.getStatus());
        }
    }

    @Example
    void aTxnOverTheOpsLimitIsRefusedSayingSo() {
        var txn = io.etcd.jetcd.api.TxnRequest.newBuilder();
        for (int i = 0; i < 129; i++) {
            txn.addSuccess(io.etcd.jetcd.api.RequestOp.newBuilder().setRequestRange(io.etcd.jetcd.api.RangeRequest.newBuilder()
                    .setKey(com.google.protobuf.ByteString.copyFromUtf8(FuzzedNode.FUZZ_PREFIX + i))));
        }
        try {
            FuzzedNode.shared().kv().txn(txn.build());
            throw new AssertionError("a txn of 129 ops was accepted; etcd's limit (--max-txn-ops) is 128");
        } catch (StatusRuntimeException e) {
            org.assertj.core.api.Assertions.assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            org.assertj.core.api.Assertions.assertThat(e.getStatus().getDescription()).isEqualTo("etcdserver: too many operations in txn request");
        }
    }

    // --- the oracle ------------------------------------------------------------------------

    private static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(FuzzedNode.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    static void assertClearOutcome(String what, Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            requireClear(what, e.getStatus());
        }
    }

    static void requireClear(String what, Status s) {
        if (KnownFinding.matches(s, what)) {
            return;
        }
        if (!CLEAR_ERRORS.contains(s.getCode()) || s.getDescription() == null || s.getDescription().isBlank()) {
            throw new AssertionError("not a clear client error: " + s.getCode() + " \"" + s.getDescription() + "\""
                    + (s.getCause() == null ? "" : " (" + s.getCause() + ")") + " for " + what);
        }
    }
}
