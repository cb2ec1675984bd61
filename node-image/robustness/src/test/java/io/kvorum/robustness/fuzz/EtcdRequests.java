package io.kvorum.robustness.fuzz;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generators of etcd v3 requests that a well-behaved client would never send: negative limits
 * and revisions, enum numbers no version of the API defines, invalid UTF-8 in keys, empty keys,
 * values past the request size limit, txns with more ops than allowed and txns nested far
 * deeper than any client would nest them.
 *
 * <p>Writes (put, delete, their txn forms) only touch keys at or above {@link
 * FuzzedNode#FUZZ_PREFIX}, so they can never reach the data the fuzzers check afterwards;
 * reads and compares may name any key.
 */
final class EtcdRequests {

    private EtcdRequests() {
    }

    /** Bytes a key may be made of: printable, the invalid UTF-8 sequences, NUL and 0xFF. */
    static Arbitrary<byte[]> nastyBytes(int maxSize) {
        Arbitrary<byte[]> plain = Arbitraries.strings().withCharRange('!', '~').ofMaxLength(Math.min(maxSize, 40))
                .map(s -> s.getBytes(StandardCharsets.US_ASCII));
        Arbitrary<byte[]> raw = Arbitraries.bytes().array(byte[].class).ofMaxSize(maxSize);
        Arbitrary<byte[]> invalidUtf8 = Arbitraries.of(
                new byte[] {(byte) 0xff}, new byte[] {(byte) 0xc3, 0x28}, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                new byte[] {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, new byte[] {0},
                new byte[] {(byte) 0xe2, (byte) 0x82});
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, plain), net.jqwik.api.Tuple.of(3, raw), net.jqwik.api.Tuple.of(2, invalidUtf8));
    }

    /** A key at or above {@code fuzz/}: safe to write or delete. */
    static Arbitrary<ByteString> writableKey() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(10, nastyBytes(64).map(b -> ByteString.copyFromUtf8(FuzzedNode.FUZZ_PREFIX).concat(ByteString.copyFrom(b)))),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(ByteString.EMPTY)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 64 * 1024)
                        .map(n -> ByteString.copyFromUtf8(FuzzedNode.FUZZ_PREFIX + "k".repeat(n)))));
    }

    /** Any key at all, for reads and compares. */
    static Arbitrary<ByteString> anyKey() {
        return Arbitraries.oneOf(writableKey(), nastyBytes(32).map(ByteString::copyFrom));
    }

    /**
     * A range end for {@code [key, end)}: none, {@code \0} (every key from key on), the key's
     * prefix end, or arbitrary bytes (often below the key: an empty or backwards range).
     * With a writable key, no choice reaches below {@code fuzz/}.
     */
    static Arbitrary<ByteString> rangeEnd() {
        return Arbitraries.oneOf(
                Arbitraries.just(ByteString.EMPTY),
                Arbitraries.just(ByteString.copyFrom(new byte[] {0})),
                Arbitraries.just(ByteString.copyFromUtf8("fuzz0")),
                nastyBytes(16).map(ByteString::copyFrom));
    }

    /** Revisions, limits, ids and TTLs: the edges (negative, 0, max) and anything. */
    static Arbitrary<Long> anyLong() {
        return Arbitraries.oneOf(
                Arbitraries.of(Long.MIN_VALUE, -1L, 0L, 1L, 2L, Integer.MAX_VALUE + 1L, Long.MAX_VALUE),
                Arbitraries.longs().between(-1000, 1000),
                Arbitraries.longs());
    }

    /** Enum numbers: the defined ones and some that no version of the API defines. */
    static Arbitrary<Integer> enumNumber() {
        return Arbitraries.oneOf(Arbitraries.integers().between(-2, 6), Arbitraries.of(Integer.MIN_VALUE, Integer.MAX_VALUE, 1000));
    }

    static Arbitrary<ByteString> value() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(20, nastyBytes(256).map(ByteString::copyFrom)),
                // over etcd's default --max-request-bytes (1.5 MiB) and at it
                net.jqwik.api.Tuple.of(1, Arbitraries.of(2 * 1024 * 1024, 1536 * 1024 - 64).map(n -> ByteString.copyFrom(new byte[n]))));
    }

    static Arbitrary<RangeRequest> range() {
        return Combinators.combine(anyKey(), rangeEnd(), anyLong(), anyLong(), enumNumber(), enumNumber(),
                        Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as((key, end, limit, revision, order, target, serializable, keysOnly) -> RangeRequest.newBuilder()
                        .setKey(key).setRangeEnd(end).setLimit(limit).setRevision(revision)
                        .setSortOrderValue(order).setSortTargetValue(target)
                        .setSerializable(serializable).setKeysOnly(keysOnly))
                .flatMap(b -> Combinators.combine(anyLong(), anyLong(), anyLong(), anyLong(), Arbitraries.of(true, false))
                        .as((minMod, maxMod, minCreate, maxCreate, countOnly) -> b.setMinModRevision(minMod)
                                .setMaxModRevision(maxMod).setMinCreateRevision(minCreate).setMaxCreateRevision(maxCreate)
                                .setCountOnly(countOnly).build()));
    }

    static Arbitrary<PutRequest> put() {
        return Combinators.combine(writableKey(), value(), Arbitraries.oneOf(Arbitraries.just(0L), anyLong()),
                        Arbitraries.of(true, false), Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as((key, value, lease, prevKv, ignoreValue, ignoreLease) -> PutRequest.newBuilder().setKey(key)
                        .setValue(value).setLease(lease).setPrevKv(prevKv).setIgnoreValue(ignoreValue)
                        .setIgnoreLease(ignoreLease).build());
    }

    /** A put of a short key and value, for txns: 200 ops of huge values would only test the size limit again. */
    static Arbitrary<PutRequest> smallPut() {
        return Combinators.combine(nastyBytes(16), nastyBytes(16), Arbitraries.oneOf(Arbitraries.just(0L), anyLong()))
                .as((key, value, lease) -> PutRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8(FuzzedNode.FUZZ_PREFIX).concat(ByteString.copyFrom(key)))
                        .setValue(ByteString.copyFrom(value)).setLease(lease).build());
    }

    static Arbitrary<DeleteRangeRequest> deleteRange() {
        return Combinators.combine(writableKey(), rangeEnd(), Arbitraries.of(true, false))
                .as((key, end, prevKv) -> DeleteRangeRequest.newBuilder().setKey(key).setRangeEnd(end).setPrevKv(prevKv).build());
    }

    static Arbitrary<Compare> compare() {
        Arbitrary<Compare.Builder> target = Arbitraries.oneOf(
                anyLong().map(v -> Compare.newBuilder().setVersion(v)),
                anyLong().map(v -> Compare.newBuilder().setCreateRevision(v)),
                anyLong().map(v -> Compare.newBuilder().setModRevision(v)),
                nastyBytes(16).map(v -> Compare.newBuilder().setValue(ByteString.copyFrom(v))),
                Arbitraries.just(Compare.newBuilder()));
        return Combinators.combine(target, anyKey(), rangeEnd(), enumNumber(), enumNumber())
                .as((b, key, end, result, targetEnum) -> b.setKey(key).setRangeEnd(end).setResultValue(result)
                        .setTargetValue(targetEnum).build());
    }

    /** A txn up to {@code depth} levels of nesting, with up to 8 ops per branch (or, rarely, 200: over the 128 limit). */
    static Arbitrary<TxnRequest> txn(int depth) {
        Arbitrary<RequestOp> leaf = Arbitraries.oneOf(
                range().map(r -> RequestOp.newBuilder().setRequestRange(r).build()),
                smallPut().map(p -> RequestOp.newBuilder().setRequestPut(p).build()),
                deleteRange().map(d -> RequestOp.newBuilder().setRequestDeleteRange(d).build()),
                Arbitraries.just(RequestOp.getDefaultInstance()));
        Arbitrary<RequestOp> op = depth <= 0 ? leaf : Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, leaf),
                net.jqwik.api.Tuple.of(1, Arbitraries.lazy(() -> txn(depth - 1)).map(t -> RequestOp.newBuilder().setRequestTxn(t).build())));
        Arbitrary<java.util.List<RequestOp>> ops = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(20, op.list().ofMaxSize(8)),
                net.jqwik.api.Tuple.of(1, op.list().ofSize(200)));
        return Combinators.combine(compare().list().ofMaxSize(4), ops, ops)
                .as((compares, success, failure) -> TxnRequest.newBuilder().addAllCompare(compares).addAllSuccess(success)
                        .addAllFailure(failure).build());
    }

    /**
     * A chain of txns, each the only op of its parent's success branch, {@code depth} deep; the
     * innermost one puts a key. protobuf's default recursion limit is 100 levels of messages,
     * each txn level costs two (RequestOp and TxnRequest).
     */
    static TxnRequest nestedTxn(int depth) {
        TxnRequest inner = TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8(FuzzedNode.FUZZ_PREFIX + "deep")).setValue(ByteString.copyFromUtf8("d" + depth)))).build();
        for (int i = 0; i < depth; i++) {
            inner = TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestTxn(inner)).build();
        }
        return inner;
    }

    static Arbitrary<LeaseGrantRequest> leaseGrant() {
        return Combinators.combine(anyLong(), Arbitraries.oneOf(Arbitraries.just(0L), anyLong()))
                .as((ttl, id) -> LeaseGrantRequest.newBuilder().setTTL(ttl).setID(id).build());
    }

    static Arbitrary<LeaseRevokeRequest> leaseRevoke() {
        return anyLong().map(id -> LeaseRevokeRequest.newBuilder().setID(id).build());
    }

    static Arbitrary<LeaseTimeToLiveRequest> leaseTimeToLive() {
        return Combinators.combine(anyLong(), Arbitraries.of(true, false))
                .as((id, keys) -> LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(keys).build());
    }

    static Arbitrary<WatchCreateRequest> watchCreate() {
        return Combinators.combine(anyKey(), rangeEnd(), anyLong(), Arbitraries.of(true, false), enumNumber().list().ofMaxSize(3),
                        Arbitraries.of(true, false))
                .as((key, end, start, progress, filters, prevKv) -> WatchCreateRequest.newBuilder()
                        .setKey(key).setRangeEnd(end).setStartRevision(start).setProgressNotify(progress)
                        .addAllFiltersValue(filters).setPrevKv(prevKv).build());
    }
}
