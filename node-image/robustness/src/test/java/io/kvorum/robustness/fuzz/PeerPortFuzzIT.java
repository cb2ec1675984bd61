package io.kvorum.robustness.fuzz;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.Message;
import io.kvorum.server.peer.pb.Handshake;
import io.kvorum.server.peer.pb.PeerFrame;
import io.kvorum.server.peer.pb.PeerGrpc;
import io.kvorum.server.peer.pb.PeerReply;
import io.kvorum.server.peer.pb.RaftBatch;
import io.kvorum.server.peer.pb.VersionRequest;
import io.kvorum.server.peer.pb.VersionResponse;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * Bad input on the peer port (Kvorum's own protocol, so Kvorum only): bytes that are not HTTP/2,
 * gRPC conversations cut off anywhere, handshakes that do not fit (another cluster, another
 * member, protocol versions nobody speaks), and streams of Raft messages with wrong terms,
 * types, indexes and entries after a handshake naming another cluster.
 *
 * <p>Pass: a handshake that does not fit is refused with FAILED_PRECONDITION saying why, and no
 * message after it is stepped; garbage ends the connection within a bound; and after each
 * property the member still serves and still has the data written before.
 */
@net.jqwik.api.lifecycle.AddLifecycleHook(NeedsFuzzTarget.KvorumOnly.class)
class PeerPortFuzzIT {

    private static ManagedChannel channel;

    private static synchronized ManagedChannel peer() {
        if (channel == null) {
            URI u = URI.create(FuzzedNode.shared().peerUrl());
            channel = NettyChannelBuilder.forAddress(u.getHost(), u.getPort()).usePlaintext().build();
            Runtime.getRuntime().addShutdownHook(new Thread(channel::shutdownNow));
        }
        return channel;
    }

    private static VersionResponse version() {
        return PeerGrpc.newBlockingStub(peer()).withDeadlineAfter(FuzzedNode.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .getVersion(VersionRequest.getDefaultInstance());
    }

    @AfterProperty
    void memberStillServesWithItsData() {
        FuzzedNode.shared().assertStillServesWithDataIntact("the fuzzed peer traffic");
    }

    // --- below gRPC ------------------------------------------------------------------------

    @Provide
    Arbitrary<byte[]> garbage() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(4096),
                // an HTTP/2 preface followed by garbage frames
                Arbitraries.bytes().array(byte[].class).ofMaxSize(512).map(b -> concat(
                        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII), b)),
                Arbitraries.just("GET /version HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    /** Bytes that are not a gRPC conversation: the member must end the connection (or keep ignoring it) and live on. */
    @Property(shrinking = ShrinkingMode.BOUNDED)
    void bytesThatAreNotGrpcEndTheConnection(@ForAll("garbage") byte[] bytes) throws Exception {
        sendRaw(bytes);
    }

    @Provide
    Arbitrary<Integer> cutPoints() {
        return Arbitraries.integers().between(0, 10_000);
    }

    /**
     * A real GetVersion conversation, recorded once, cut off after {@code n} bytes (n modulo its
     * length): a peer that died mid-frame. The member must not wait for the rest forever in a
     * way that hurts it, nor choke on a frame that ends early.
     */
    @Property(shrinking = ShrinkingMode.BOUNDED)
    void truncatedGrpcConversationsDoNotHurt(@ForAll("cutPoints") int n) throws Exception {
        byte[] conversation = RecordedConversation.getVersion(URI.create(FuzzedNode.shared().peerUrl()));
        sendRaw(java.util.Arrays.copyOf(conversation, n % (conversation.length + 1)));
    }

    /** Sends {@code bytes}, reads whatever comes back for a moment, and closes. */
    private static void sendRaw(byte[] bytes) throws Exception {
        URI u = URI.create(FuzzedNode.shared().peerUrl());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 5_000);
            s.setSoTimeout(300);
            OutputStream out = s.getOutputStream();
            try {
                out.write(bytes);
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[4096];
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (System.nanoTime() < until && in.read(buf) >= 0) {
                    // drain: the member's answer does not matter, that it lives on does
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // the member closed or reset the connection, or said nothing: all fine
            }
        }
    }

    // --- handshakes ------------------------------------------------------------------------

    @Provide
    Arbitrary<Handshake> handshakesThatDoNotFit() {
        VersionResponse v = version();
        Arbitrary<Long> otherId = Arbitraries.longs().filter(id -> id != 0 && id != v.getClusterId() && id != v.getMemberId());
        Arbitrary<Handshake> otherCluster = Combinators.combine(otherId, Arbitraries.of(0L, v.getMemberId()))
                .as((cluster, to) -> handshake(v).setClusterId(cluster).setToMemberId(to).build());
        Arbitrary<Handshake> otherMember = otherId.map(to -> handshake(v).setToMemberId(to).build());
        Arbitrary<Handshake> tooOld = Arbitraries.integers().between(0, Math.max(0, v.getMinProtocolVersion() - 1))
                .filter(p -> p < v.getMinProtocolVersion())
                .map(p -> handshake(v).setProtocolVersion(p).setMinProtocolVersion(0).build());
        Arbitrary<Handshake> tooNew = Arbitraries.integers().between(v.getProtocolVersion() + 1, Integer.MAX_VALUE)
                .map(p -> handshake(v).setMinProtocolVersion(p).setProtocolVersion(p).build());
        Arbitrary<Handshake> notAMember = Arbitraries.just(handshake(v).build());
        return Arbitraries.oneOf(otherCluster, otherMember, tooNew, v.getMinProtocolVersion() > 0 ? tooOld : tooNew, notAMember);
    }

    /** A handshake that fits in every way but the sender, which is no member of the cluster. */
    private static Handshake.Builder handshake(VersionResponse v) {
        return Handshake.newBuilder().setClusterId(v.getClusterId()).setFromMemberId(0xfade_0000_0000_0001L)
                .setToMemberId(v.getMemberId()).setServerVersion(v.getServerVersion())
                .setProtocolVersion(v.getProtocolVersion()).setMinProtocolVersion(v.getMinProtocolVersion());
    }

    @Provide
    Arbitrary<List<Message>> bogusRaftMessages() {
        Arbitrary<Long> any = Arbitraries.oneOf(Arbitraries.of(0L, 1L, 2L, -1L, Long.MAX_VALUE), Arbitraries.longs());
        Arbitrary<Entry> entry = Combinators.combine(any, any, Arbitraries.integers().between(-1, 3),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(64))
                .as((term, index, type, data) -> Entry.newBuilder().setTerm(term).setIndex(index).setTypeValue(type)
                        .setData(ByteString.copyFrom(data)).build());
        Arbitrary<Message> message = Combinators.combine(Arbitraries.integers().between(-1, 25), any, any, any, any,
                        entry.list().ofMaxSize(3), Arbitraries.of(true, false), Arbitraries.integers().between(0, 5))
                .as((type, term, logTerm, index, commit, entries, reject, protocol) -> Message.newBuilder()
                        .setTypeValue(type).setTerm(term).setLogTerm(logTerm).setIndex(index).setCommit(commit)
                        .addAllEntries(entries).setReject(reject).setProtocolVersion(protocol)
                        .setFrom(0xfade_0000_0000_0001L).build());
        return message.list().ofMinSize(1).ofMaxSize(8);
    }

    /**
     * A handshake that does not fit, then bogus Raft messages (any type, term, index, entries)
     * on the same stream: the handshake must be refused with FAILED_PRECONDITION saying why, the
     * messages must not be stepped (the member's term stays put), and the member lives on.
     */
    @Property(shrinking = ShrinkingMode.BOUNDED)
    void misfitHandshakesAreRefusedAndWhatFollowsIsIgnored(@ForAll("handshakesThatDoNotFit") Handshake h,
                                                           @ForAll("bogusRaftMessages") List<Message> messages) throws Exception {
        long termBefore = FuzzedNode.shared().raftTerm();
        FirstAnswer<PeerReply> answer = FirstAnswer.responseRequired();
        CompletableFuture<PeerReply> reply = answer.future;
        StreamObserver<PeerFrame> out = PeerGrpc.newStub(peer()).withDeadlineAfter(FuzzedNode.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .raft(answer);
        out.onNext(PeerFrame.newBuilder().setHandshake(h).build());
        // Not waiting for the refusal: a careless peer sends its batch right away.
        out.onNext(PeerFrame.newBuilder().setBatch(RaftBatch.newBuilder().addAllMessages(messages)).build());
        try {
            PeerReply accepted = reply.get(FuzzedNode.CALL_DEADLINE.toMillis() + 2_000, TimeUnit.MILLISECONDS);
            throw new AssertionError("a handshake that does not fit was accepted (" + accepted + "): " + h);
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof StatusRuntimeException sre) || sre.getStatus().getCode() != Status.Code.FAILED_PRECONDITION
                    || sre.getStatus().getDescription() == null || sre.getStatus().getDescription().isBlank()) {
                throw new AssertionError("a misfit handshake must be refused with FAILED_PRECONDITION and a reason, got " + e.getCause()
                        + " for " + h, e.getCause());
            }
        } finally {
            out.onCompleted();
        }
        long termAfter = FuzzedNode.shared().raftTerm();
        if (termAfter != termBefore) {
            throw new AssertionError("the member's term moved from " + termBefore + " to " + termAfter
                    + " after a refused handshake: messages after it were stepped: " + messages);
        }
    }

    /** The first frame must be a handshake; a batch first is refused saying so. */
    @Property(tries = 10, shrinking = ShrinkingMode.BOUNDED)
    void aBatchBeforeTheHandshakeIsRefused(@ForAll("bogusRaftMessages") List<Message> messages) throws Exception {
        FirstAnswer<PeerReply> answer = FirstAnswer.responseRequired();
        CompletableFuture<PeerReply> reply = answer.future;
        StreamObserver<PeerFrame> out = PeerGrpc.newStub(peer()).withDeadlineAfter(FuzzedNode.CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .raft(answer);
        out.onNext(PeerFrame.newBuilder().setBatch(RaftBatch.newBuilder().addAllMessages(messages)).build());
        try {
            throw new AssertionError("a stream without a handshake was answered " + reply.get(FuzzedNode.CALL_DEADLINE.toMillis() + 2_000, TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof StatusRuntimeException sre) || sre.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                throw new AssertionError("expected INVALID_ARGUMENT \"the first frame must be a handshake\", got " + e.getCause(), e.getCause());
            }
        } finally {
            out.onCompleted();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
