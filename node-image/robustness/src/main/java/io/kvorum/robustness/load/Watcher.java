package io.kvorum.robustness.load;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Metadata;
import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.kvorum.robustness.watch.WatchEvent;
import io.kvorum.robustness.watch.WatchLog;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One logical watcher on a key prefix that survives member failures: when its stream breaks
 * it reconnects to the next endpoint and resumes from the revision after the last event it
 * received, as an etcd client must. Every event is kept for the {@link
 * io.kvorum.robustness.watch.WatchChecker}.
 *
 * <p>Streams carry etcd's {@code hasleader} metadata, so a member cut off from the leader
 * cancels them instead of silently sending nothing.
 */
public final class Watcher implements AutoCloseable {

    private static final Metadata.Key<String> HAS_LEADER = Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);
    private static final long RECONNECT_DELAY_MS = 200;

    private final String name;
    private final String prefix;
    private final long startRevision;
    private final Endpoints endpoints;
    private final ScheduledExecutorService scheduler;
    private final List<WatchEvent> events = new ArrayList<>();
    private int endpoint;
    private long nextRevision;
    private long reconnects;
    private boolean closed;
    private StreamObserver<WatchRequest> requests;

    public Watcher(String name, String prefix, long startRevision, int firstEndpoint, Endpoints endpoints,
                   ScheduledExecutorService scheduler) {
        if (prefix.isEmpty()) {
            throw new IllegalArgumentException("watcher " + name + ": give a non-empty key prefix (etcd rejects an empty key)");
        }
        this.name = name;
        this.prefix = prefix;
        this.startRevision = startRevision;
        this.nextRevision = startRevision;
        this.endpoint = firstEndpoint % endpoints.size();
        this.endpoints = endpoints;
        this.scheduler = scheduler;
    }

    public synchronized Watcher start() {
        connect();
        return this;
    }

    /** The highest revision received so far (0 if none). */
    public synchronized long lastRevision() {
        return nextRevision - 1;
    }

    public synchronized long reconnects() {
        return reconnects;
    }

    public synchronized WatchLog log() {
        return new WatchLog(name, prefix, startRevision, events);
    }

    @Override
    public synchronized void close() {
        closed = true;
        cancelStream("watcher closed");
    }

    private void cancelStream(String why) {
        if (requests instanceof ClientCallStreamObserver<WatchRequest> call) {
            call.cancel(why, null); // safe on a call that already ended
        }
        requests = null;
    }

    private synchronized void connect() {
        if (closed) {
            return;
        }
        var stub = WatchGrpc.newStub(endpoints.channel(endpoint)).withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(hasLeader()));
        Stream stream = new Stream();
        requests = stub.watch(stream);
        requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
                .setKey(KvClient.bytes(prefix))
                .setRangeEnd(prefixEnd(prefix))
                .setStartRevision(nextRevision)).build());
    }

    private synchronized void onEvents(Stream from, WatchResponse response) {
        if (from.dead || closed) {
            return;
        }
        if (response.getCanceled()) {
            from.dead = true;
            reconnectLater("canceled: " + response.getCancelReason());
            return;
        }
        for (Event e : response.getEventsList()) {
            var kv = e.getKv();
            events.add(new WatchEvent(kv.getKey().toString(StandardCharsets.UTF_8),
                    e.getType() == Event.EventType.DELETE ? null : kv.getValue().toString(StandardCharsets.UTF_8),
                    kv.getModRevision()));
            nextRevision = Math.max(nextRevision, kv.getModRevision() + 1);
        }
    }

    private synchronized void onBroken(Stream from) {
        if (from.dead) {
            return;
        }
        from.dead = true;
        reconnectLater("stream ended");
    }

    private void reconnectLater(String why) {
        if (closed) {
            return;
        }
        reconnects++;
        cancelStream(why);
        endpoint = (endpoint + 1) % endpoints.size();
        scheduler.schedule(this::connect, RECONNECT_DELAY_MS, TimeUnit.MILLISECONDS);
    }

    private static Metadata hasLeader() {
        Metadata m = new Metadata();
        m.put(HAS_LEADER, "true");
        return m;
    }

    /** The etcd range end for "every key starting with prefix": the prefix with its last byte incremented. */
    static ByteString prefixEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] != (byte) 0xff) {
                b[i]++;
                return ByteString.copyFrom(b, 0, i + 1);
            }
        }
        return ByteString.copyFrom(new byte[] {0}); // every key: etcd's "from key" range end
    }

    /** One gRPC stream; a reconnect makes a new one and ignores whatever the old one still says. */
    private final class Stream implements StreamObserver<WatchResponse> {
        boolean dead;

        @Override
        public void onNext(WatchResponse value) {
            onEvents(this, value);
        }

        @Override
        public void onError(Throwable t) {
            onBroken(this);
        }

        @Override
        public void onCompleted() {
            onBroken(this);
        }
    }
}
