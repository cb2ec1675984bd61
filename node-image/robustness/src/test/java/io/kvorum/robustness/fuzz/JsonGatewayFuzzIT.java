package io.kvorum.robustness.fuzz;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * Bad bodies for the JSON gateway ({@code POST /v3/...} on the client port) of a real 1-member
 * Kvorum: malformed JSON, wrong types, bad base64, invalid UTF-8, deep nesting, unknown fields,
 * bodies over the size limit.
 *
 * <p>Pass: every request is answered within {@link FuzzedNode#CALL_DEADLINE}, with 200 and a
 * JSON object, or with a client error status (4xx) whose JSON body says what was wrong
 * ({@code {"error":..,"message":..,"code":..}}, grpc-gateway's shape); never 5xx, never a reset
 * connection; and after each property the member still serves the data written before.
 *
 * <p>Mutated text goes only to endpoints where no mutant can delete a range (range, put, lease
 * calls, status, member list): a mutated {@code deleterange} key could decode to a prefix below
 * the checked data. Txns and deletes are sent as valid JSON of fuzzed requests instead. The
 * streaming endpoints (watch, keepalive) are not covered here; the gRPC fuzzer covers their
 * streams.
 */
@net.jqwik.api.lifecycle.AddLifecycleHook(NeedsFuzzTarget.class)
class JsonGatewayFuzzIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Set<Integer> CLIENT_ERRORS = Set.of(400, 404, 405, 409, 413, 429);
    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

    @AfterProperty
    void memberStillServesWithItsData() {
        FuzzedNode.shared().assertStillServesWithDataIntact("the fuzzed JSON bodies");
    }

    /** One request: path and body bytes, printed so it can be replayed with curl. */
    record Post(String path, byte[] body, String how) {
        @Override
        public String toString() {
            String text = new String(body, 0, Math.min(body.length, 600), StandardCharsets.ISO_8859_1);
            return how + ": POST " + path + " (" + body.length + " bytes) " + text + (body.length > 600 ? "..." : "");
        }
    }

    enum Damage { TRUNCATE, INSERT_JSON_PUNCTUATION, WRONG_TYPE, BAD_BASE64, INVALID_UTF8, DEEP_NESTING, UNKNOWN_FIELD, HUGE_STRING, HUGE_NUMBER, NOT_JSON }

    /** Endpoints whose request, however damaged, cannot delete a range. */
    @Provide
    Arbitrary<Post> damagedBodies() {
        Arbitrary<Post> valid = Arbitraries.oneOf(
                json("/v3/kv/range", EtcdRequests.range()),
                json("/v3/kv/put", EtcdRequests.smallPut()),
                json("/v3/lease/grant", EtcdRequests.leaseGrant()),
                json("/v3/lease/revoke", EtcdRequests.leaseRevoke()),
                json("/v3/lease/timetolive", EtcdRequests.leaseTimeToLive()),
                json("/v3/maintenance/status", Arbitraries.just(io.etcd.jetcd.api.StatusRequest.getDefaultInstance())),
                json("/v3/cluster/member/list", Arbitraries.just(io.etcd.jetcd.api.MemberListRequest.getDefaultInstance())));
        return Combinators.combine(valid, Arbitraries.of(Damage.class), Arbitraries.longs())
                .as((post, damage, seed) -> new Post(post.path(), damage(new String(post.body(), StandardCharsets.UTF_8), damage, new Random(seed)),
                        damage + " of " + new String(post.body(), StandardCharsets.UTF_8)));
    }

    /** Txns and deletes: valid JSON of the gRPC fuzzer's requests (bad enums, limits, keys). */
    @Provide
    Arbitrary<Post> wellFormedBadRequests() {
        return Arbitraries.oneOf(
                json("/v3/kv/txn", EtcdRequests.txn(2)),
                json("/v3/kv/deleterange", EtcdRequests.deleteRange()),
                json("/v3/kv/range", EtcdRequests.range()));
    }

    private static Arbitrary<Post> json(String path, Arbitrary<? extends Message> requests) {
        return requests.map(r -> {
            try {
                return new Post(path, JSON.print(r).getBytes(StandardCharsets.UTF_8), "valid JSON");
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static byte[] damage(String json, Damage damage, Random r) {
        String out = switch (damage) {
            case TRUNCATE -> json.substring(0, r.nextInt(Math.max(1, json.length())));
            case INSERT_JSON_PUNCTUATION -> {
                int at = r.nextInt(json.length() + 1);
                String[] junk = {"{", "}", "[", "]", "\"", ",", ":", "\\", "\\u12", "\u0000", "null", "-", "1e999"};
                yield json.substring(0, at) + junk[r.nextInt(junk.length)] + json.substring(at);
            }
            case WRONG_TYPE -> {
                String[] values = {"123", "-1", "true", "null", "[]", "{}", "[\"a\",1]", "{\"key\":\"a\"}", "1.5", "\"abc\""};
                String v = values[r.nextInt(values.length)];
                // every value of the first field (or the whole body if there is none)
                String replaced = json.replaceFirst(":(\"[^\"]*\"|-?[0-9]+|true|false)", ":" + java.util.regex.Matcher.quoteReplacement(v));
                yield replaced.equals(json) ? "{\"key\":" + v + "}" : replaced;
            }
            case BAD_BASE64 -> json.contains("\"key\":\"") ? json.replaceFirst("\"key\":\"[^\"]*\"", "\"key\":\"@@not base64!!\"")
                    : "{\"key\":\"%%%\",\"range_end\":\"====\"}";
            case INVALID_UTF8 -> null;
            case DEEP_NESTING -> {
                int depth = 1000 + r.nextInt(100_000);
                yield r.nextBoolean() ? "[".repeat(depth) + "]".repeat(depth)
                        : "{\"key\":".repeat(depth) + "\"Zm9v\"" + "}".repeat(depth);
            }
            case UNKNOWN_FIELD -> json.length() > 2 ? "{\"no_such_field\":{\"x\":[1,2,3]}," + json.substring(1) : "{\"no_such_field\":1}";
            case HUGE_STRING -> "{\"key\":\"" + "QUFB".repeat((2 * 1024 * 1024 + r.nextInt(2 * 1024 * 1024)) / 4) + "\"}";
            case HUGE_NUMBER -> "{\"key\":\"Zm9v\",\"limit\":\"" + "9".repeat(1 + r.nextInt(400)) + "\",\"revision\":-1e308}";
            case NOT_JSON -> {
                byte[] b = new byte[r.nextInt(200)];
                r.nextBytes(b);
                yield new String(b, StandardCharsets.ISO_8859_1);
            }
        };
        if (damage == Damage.INVALID_UTF8) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            byte[] bad = {(byte) 0xc3, 0x28, (byte) 0xff, (byte) 0xed, (byte) 0xa0, (byte) 0x80};
            int at = r.nextInt(b.length + 1);
            byte[] c = new byte[b.length + bad.length];
            System.arraycopy(b, 0, c, 0, at);
            System.arraycopy(bad, 0, c, at, bad.length);
            System.arraycopy(b, at, c, at + bad.length, b.length - at);
            return c;
        }
        return out.getBytes(damage == Damage.NOT_JSON ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void damagedBodiesGetAClearClientError(@ForAll("damagedBodies") Post post) throws Exception {
        requireClearAnswer(post, send(post));
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    void wellFormedBadRequestsGetAnAnswerOrAClearError(@ForAll("wellFormedBadRequests") Post post) throws Exception {
        requireClearAnswer(post, send(post));
    }

    private static HttpResponse<String> send(Post post) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(FuzzedNode.shared().clientUrl() + post.path()))
                .timeout(FuzzedNode.CALL_DEADLINE).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(post.body())).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.net.http.HttpTimeoutException e) {
            throw new AssertionError("no answer within " + FuzzedNode.CALL_DEADLINE + " to " + post, e);
        } catch (java.io.IOException e) {
            throw new AssertionError("the connection failed (" + e + ") for " + post, e);
        }
    }

    private static void requireClearAnswer(Post post, HttpResponse<String> response) {
        int status = response.statusCode();
        String body = response.body();
        if (status == 200) {
            if (!body.startsWith("{")) {
                throw new AssertionError("200 without a JSON object (" + abbreviate(body) + ") for " + post);
            }
            return;
        }
        if (!CLIENT_ERRORS.contains(status)) {
            throw new AssertionError("HTTP " + status + " " + abbreviate(body) + " is not a client error, for " + post);
        }
        if (!body.contains("\"message\":\"") || body.contains("\"message\":\"\"")) {
            throw new AssertionError("HTTP " + status + " without a message saying what was wrong (" + abbreviate(body) + ") for " + post);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
