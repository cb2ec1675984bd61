package io.kvorum.server.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AuthDisableRequest;
import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleDeleteRequest;
import io.etcd.jetcd.api.AuthRoleGetRequest;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthRoleListRequest;
import io.etcd.jetcd.api.AuthRoleRevokePermissionRequest;
import io.etcd.jetcd.api.AuthUserAddRequest;
import io.etcd.jetcd.api.AuthUserChangePasswordRequest;
import io.etcd.jetcd.api.AuthUserDeleteRequest;
import io.etcd.jetcd.api.AuthUserGetRequest;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.AuthUserListRequest;
import io.etcd.jetcd.api.AuthUserRevokeRoleRequest;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DefragmentRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberPromoteRequest;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberUpdateRequest;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.grpc.EtcdServices;
import io.kvorum.server.grpc.GrpcErrors;
import io.kvorum.server.auth.Credentials;
import io.kvorum.server.grpc.proto.AuthStatusRequest;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.LeaseLeasesRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * etcd's JSON gateway under {@code /v3/}: HTTP POST with a protobuf-JSON body, answered with
 * protobuf JSON, in front of the same gRPC service objects the gRPC port uses.
 *
 * <p>JSON as etcd's gateway writes it: proto field names ({@code "create_revision"}, {@code
 * "raft_term"}, {@code "TTL"}), bytes in base64, 64-bit integers as strings, default values
 * left out. Requests may use proto or lowerCamel names. Example, from etcd's upgrade guide:
 *
 * <pre>
 * curl -L http://localhost:2379/v3/kv/put -X POST -d '{"key": "Zm9v", "value": "YmFy"}'
 * {"header":{"cluster_id":"...","member_id":"...","revision":"2","raft_term":"2"}}
 * </pre>
 *
 * <p>Streaming calls ({@code /v3/watch}, {@code /v3/lease/keepalive}, {@code
 * /v3/maintenance/snapshot}) answer one {@code {"result":...}} line per message; their request
 * bodies may carry several JSON objects one after the other.
 */
public final class JsonGateway {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private final long maxBodyBytes;
  private final Map<String, Consumer<HttpServerRequest>> routes = new HashMap<>();

  public JsonGateway(EtcdServices s, long maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
    unary("/v3/kv/range", RangeRequest.getDefaultInstance(), s.kv::range);
    unary("/v3/kv/put", PutRequest.getDefaultInstance(), s.kv::put);
    unary("/v3/kv/deleterange", DeleteRangeRequest.getDefaultInstance(), s.kv::deleteRange);
    unary("/v3/kv/txn", TxnRequest.getDefaultInstance(), s.kv::txn);
    unary("/v3/kv/compaction", CompactionRequest.getDefaultInstance(), s.kv::compact);

    routes.put("/v3/watch", bidi(WatchRequest.getDefaultInstance(), s.watch::watch));

    unary("/v3/lease/grant", LeaseGrantRequest.getDefaultInstance(), s.lease::leaseGrant);
    for (String path : new String[] {"/v3/lease/revoke", "/v3/kv/lease/revoke"}) {
      unary(path, LeaseRevokeRequest.getDefaultInstance(), s.lease::leaseRevoke);
    }
    for (String path : new String[] {"/v3/lease/timetolive", "/v3/kv/lease/timetolive"}) {
      unary(path, LeaseTimeToLiveRequest.getDefaultInstance(), s.lease::leaseTimeToLive);
    }
    for (String path : new String[] {"/v3/lease/leases", "/v3/kv/lease/leases"}) {
      unary(path, LeaseLeasesRequest.getDefaultInstance(), s.lease::leaseLeases);
    }
    routes.put(
        "/v3/lease/keepalive",
        bidi(LeaseKeepAliveRequest.getDefaultInstance(), s.lease::leaseKeepAlive));

    unary("/v3/cluster/member/add", MemberAddRequest.getDefaultInstance(), s.cluster::memberAdd);
    unary(
        "/v3/cluster/member/remove",
        MemberRemoveRequest.getDefaultInstance(),
        s.cluster::memberRemove);
    unary(
        "/v3/cluster/member/update",
        MemberUpdateRequest.getDefaultInstance(),
        s.cluster::memberUpdate);
    unary("/v3/cluster/member/list", MemberListRequest.getDefaultInstance(), s.cluster::memberList);
    unary(
        "/v3/cluster/member/promote",
        MemberPromoteRequest.getDefaultInstance(),
        s.cluster::memberPromote);

    unary("/v3/maintenance/alarm", AlarmRequest.getDefaultInstance(), s.maintenance::alarm);
    unary("/v3/maintenance/status", StatusRequest.getDefaultInstance(), s.maintenance::status);
    unary(
        "/v3/maintenance/defragment",
        DefragmentRequest.getDefaultInstance(),
        s.maintenance::defragment);
    unary("/v3/maintenance/hash", HashRequest.getDefaultInstance(), s.maintenance::hash);
    unary("/v3/maintenance/hashkv", HashKVRequest.getDefaultInstance(), s.maintenance::hashKV);
    unary(
        "/v3/maintenance/transfer-leadership",
        MoveLeaderRequest.getDefaultInstance(),
        s.maintenance::moveLeader);
    unary(
        "/v3/maintenance/downgrade",
        DowngradeRequest.getDefaultInstance(),
        s.maintenance::downgrade);
    unary("/v3/auth/enable", AuthEnableRequest.getDefaultInstance(), s.auth::authEnable);
    unary("/v3/auth/disable", AuthDisableRequest.getDefaultInstance(), s.auth::authDisable);
    unary("/v3/auth/status", AuthStatusRequest.getDefaultInstance(), s.auth::authStatus);
    unary("/v3/auth/authenticate", AuthenticateRequest.getDefaultInstance(), s.auth::authenticate);
    unary("/v3/auth/user/add", AuthUserAddRequest.getDefaultInstance(), s.auth::userAdd);
    unary("/v3/auth/user/get", AuthUserGetRequest.getDefaultInstance(), s.auth::userGet);
    unary("/v3/auth/user/list", AuthUserListRequest.getDefaultInstance(), s.auth::userList);
    unary("/v3/auth/user/delete", AuthUserDeleteRequest.getDefaultInstance(), s.auth::userDelete);
    unary("/v3/auth/user/changepw", AuthUserChangePasswordRequest.getDefaultInstance(), s.auth::userChangePassword);
    unary("/v3/auth/user/grant", AuthUserGrantRoleRequest.getDefaultInstance(), s.auth::userGrantRole);
    unary("/v3/auth/user/revoke", AuthUserRevokeRoleRequest.getDefaultInstance(), s.auth::userRevokeRole);
    unary("/v3/auth/role/add", AuthRoleAddRequest.getDefaultInstance(), s.auth::roleAdd);
    unary("/v3/auth/role/get", AuthRoleGetRequest.getDefaultInstance(), s.auth::roleGet);
    unary("/v3/auth/role/list", AuthRoleListRequest.getDefaultInstance(), s.auth::roleList);
    unary("/v3/auth/role/delete", AuthRoleDeleteRequest.getDefaultInstance(), s.auth::roleDelete);
    unary("/v3/auth/role/grant", AuthRoleGrantPermissionRequest.getDefaultInstance(), s.auth::roleGrantPermission);
    unary("/v3/auth/role/revoke", AuthRoleRevokePermissionRequest.getDefaultInstance(), s.auth::roleRevokePermission);

    routes.put(
        "/v3/maintenance/snapshot",
        request ->
            withBody(
                request,
                SnapshotRequest.getDefaultInstance(),
                snapshot ->
                    Credentials.runWith(
                        credentials(request),
                        () ->
                            s.maintenance.snapshot(
                                snapshot, new GatewayStream<>(request.response(), PRINTER)))));
  }

  /** Serves one request whose path starts with {@code /v3/}. */
  public void handle(HttpServerRequest request) {
    Consumer<HttpServerRequest> route = routes.get(request.path());
    if (route == null) {
      reject(request, Status.Code.NOT_FOUND, 404, "Not Found: no etcd v3 gateway endpoint "
          + request.path());
      return;
    }
    if (request.method() != HttpMethod.POST) {
      reject(request, Status.Code.UNIMPLEMENTED, 405,
          "Method Not Allowed: the etcd v3 gateway takes POST " + request.path()
              + " with a JSON body");
      return;
    }
    route.accept(request);
  }

  /** Answers a gateway-shaped error without reading the request's body. */
  public static void reject(HttpServerRequest request, Status.Code code, int http, String message) {
    request
        .response()
        .setStatusCode(http)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(GatewayErrors.unaryBody(Status.fromCode(code).withDescription(message)));
  }

  private <Q extends Message, A extends Message> void unary(
      String path, Q prototype, BiConsumer<Q, StreamObserver<A>> method) {
    routes.put(
        path,
        request ->
            withBody(
                request,
                prototype,
                parsed ->
                    Credentials.runWith(
                        credentials(request),
                        () -> method.accept(parsed, new UnaryReply<>(request.response())))));
  }

  /** Reads the whole body (bounded), parses it into a {@code Q}, then runs {@code call}. */
  private <Q extends Message> void withBody(
      HttpServerRequest request, Q prototype, Consumer<Q> call) {
    Buffer body = Buffer.buffer();
    boolean[] tooLarge = {false};
    request.handler(
        chunk -> {
          if (body.length() + chunk.length() > maxBodyBytes) {
            tooLarge[0] = true;
          } else if (!tooLarge[0]) {
            body.appendBuffer(chunk);
          }
        });
    request.endHandler(
        ignored -> {
          if (tooLarge[0]) {
            reject(request, Status.Code.INVALID_ARGUMENT, 400, "etcdserver: request is too large");
            return;
          }
          Q parsed;
          try {
            parsed = parse(prototype, body.toString(StandardCharsets.UTF_8));
          } catch (InvalidProtocolBufferException e) {
            reject(request, Status.Code.INVALID_ARGUMENT, 400, badJson(prototype, e));
            return;
          }
          call.accept(parsed);
        });
  }

  /**
   * A client-and-server streaming call: every JSON object of the request body is one request
   * message, every response message one {@code {"result":...}} line. The stream ends when the
   * service completes it or the client goes away.
   */
  private <Q extends Message, A extends Message> Consumer<HttpServerRequest> bidi(
      Q prototype, Function<StreamObserver<A>, StreamObserver<Q>> method) {
    return request -> {
      GatewayStream<A> responses = new GatewayStream<>(request.response(), PRINTER);
      List<StreamObserver<Q>> opened = new ArrayList<>(1);
      Credentials.runWith(credentials(request), () -> opened.add(method.apply(responses)));
      StreamObserver<Q> requests = opened.get(0);
      responses.setOnCancelHandler(
          () ->
              requests.onError(
                  Status.CANCELLED.withDescription("client went away").asRuntimeException()));
      JsonObjectSplitter splitter =
          new JsonObjectSplitter(
              maxBodyBytes,
              json -> {
                try {
                  requests.onNext(parse(prototype, json));
                } catch (InvalidProtocolBufferException e) {
                  throw new IllegalArgumentException(badJson(prototype, e), e);
                }
              });
      request.handler(
          chunk -> {
            try {
              splitter.feed(chunk.getBytes());
            } catch (IllegalArgumentException e) {
              request.pause();
              requests.onError(Status.CANCELLED.asRuntimeException());
              responses.onError(
                  Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            }
          });
      request.endHandler(ignored -> requests.onCompleted());
    };
  }

  /**
   * What etcd's gateway passes on as the caller: the {@code Authorization} header, holding the
   * token from {@code /v3/auth/authenticate} as is. A client certificate's CN is never used for
   * gateway requests (as in etcd).
   */
  private static Credentials credentials(HttpServerRequest request) {
    String token = request.getHeader(HttpHeaders.AUTHORIZATION);
    return token == null ? Credentials.NONE : new Credentials(token, null);
  }

  @SuppressWarnings("unchecked")
  private static <Q extends Message> Q parse(Q prototype, String json)
      throws InvalidProtocolBufferException {
    Message.Builder builder = prototype.newBuilderForType();
    if (!json.isBlank()) { // grpc-gateway reads an empty body as an empty message
      PARSER.merge(json, builder);
    }
    return (Q) builder.build();
  }

  private static String badJson(Message prototype, InvalidProtocolBufferException e) {
    return "invalid JSON for etcdserverpb."
        + prototype.getDescriptorForType().getName()
        + ": "
        + e.getMessage()
        + " (bytes fields are base64, e.g. \"key\":\"Zm9v\" for foo)";
  }

  /** Answers a unary call: 200 with the message as JSON, or the gateway's error shape. */
  private static final class UnaryReply<A extends Message> implements StreamObserver<A> {
    private final HttpServerResponse response;
    private A answer;

    UnaryReply(HttpServerResponse response) {
      this.response = response;
    }

    @Override
    public void onNext(A message) {
      this.answer = message;
    }

    @Override
    public void onError(Throwable failure) {
      Status status = GrpcErrors.toStatus(failure);
      write(GatewayErrors.httpStatus(status.getCode()), GatewayErrors.unaryBody(status));
    }

    @Override
    public void onCompleted() {
      try {
        write(200, PRINTER.print(answer));
      } catch (InvalidProtocolBufferException e) {
        onError(Status.INTERNAL.withDescription(
            "kvorum: cannot print the answer as JSON: " + e.getMessage()).asRuntimeException());
      }
    }

    private void write(int status, String json) {
      if (response.ended() || response.closed()) {
        return; // the client went away; nothing to tell it
      }
      response
          .setStatusCode(status)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(json);
    }
  }
}
