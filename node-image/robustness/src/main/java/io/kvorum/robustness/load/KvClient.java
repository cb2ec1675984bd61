package io.kvorum.robustness.load;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.StatusRuntimeException;
import io.kvorum.robustness.history.HistoryRecorder;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One sequential client: sends one operation at a time to its current endpoint and records it.
 * On any error it moves to the next endpoint, as etcd's clients do on UNAVAILABLE; the next
 * operation goes there. Not thread-safe: one per thread.
 *
 * <p>Every error of a write is recorded as an unknown outcome: a request that timed out, or
 * whose connection broke, or that the server failed with "leader changed" may still have been
 * committed. Treating it as failed would make the checker report false violations.
 */
public final class KvClient {

    private final int id;
    private final Endpoints endpoints;
    private final HistoryRecorder recorder;
    private final Duration timeout;
    private final boolean serializableReads;
    private int endpoint;

    public KvClient(int id, Endpoints endpoints, HistoryRecorder recorder, Duration timeout) {
        this(id, endpoints, recorder, timeout, false);
    }

    /**
     * @param serializableReads send gets as etcd serializable reads: answered from the local
     *                          member without asking the leader, so they may be stale. Only for
     *                          proving that the checker catches stale reads.
     */
    public KvClient(int id, Endpoints endpoints, HistoryRecorder recorder, Duration timeout, boolean serializableReads) {
        this.id = id;
        this.endpoints = endpoints;
        this.recorder = recorder;
        this.timeout = timeout;
        this.serializableReads = serializableReads;
        this.endpoint = Math.floorMod(id, endpoints.size());
    }

    /** Sends the next operations to endpoint {@code index}. */
    public void useEndpoint(int index) {
        this.endpoint = Math.floorMod(index, endpoints.size());
    }

    public Operation execute(KvInput input) {
        HistoryRecorder.Invocation call = recorder.invoke(id, input);
        try {
            return call.ok(send(input));
        } catch (StatusRuntimeException e) {
            endpoint = (endpoint + 1) % endpoints.size();
            return call.unknown(e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
                    : ": " + e.getStatus().getDescription()));
        }
    }

    private KvOutput send(KvInput input) {
        KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(endpoints.channel(endpoint))
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        ByteString key = bytes(input.key());
        return switch (input) {
            case KvInput.Put put -> new KvOutput.Written(
                    kv.put(PutRequest.newBuilder().setKey(key).setValue(bytes(put.value())).build()).getHeader().getRevision());
            case KvInput.Get get -> {
                RangeResponse r = kv.range(RangeRequest.newBuilder().setKey(key).setSerializable(serializableReads).build());
                yield new KvOutput.Read(r.getKvsCount() == 0 ? null : r.getKvs(0).getValue().toStringUtf8(),
                        r.getHeader().getRevision());
            }
            case KvInput.Cas cas -> {
                Compare.Builder compare = Compare.newBuilder().setKey(key).setResult(Compare.CompareResult.EQUAL);
                if (cas.expected() == null) {
                    compare.setTarget(Compare.CompareTarget.VERSION).setVersion(0);
                } else {
                    compare.setTarget(Compare.CompareTarget.VALUE).setValue(bytes(cas.expected()));
                }
                TxnResponse r = kv.txn(TxnRequest.newBuilder().addCompare(compare)
                        .addSuccess(RequestOp.newBuilder().setRequestPut(
                                PutRequest.newBuilder().setKey(key).setValue(bytes(cas.next()))))
                        .build());
                yield new KvOutput.Swapped(r.getSucceeded(), r.getHeader().getRevision());
            }
            case KvInput.Delete delete -> {
                var r = kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(key).build());
                yield new KvOutput.Deleted(r.getDeleted(), r.getHeader().getRevision());
            }
        };
    }

    static ByteString bytes(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }
}
