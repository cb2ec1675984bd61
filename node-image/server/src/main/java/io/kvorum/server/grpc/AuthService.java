package io.kvorum.server.grpc;

import io.etcd.jetcd.api.AuthDisableRequest;
import io.etcd.jetcd.api.AuthDisableResponse;
import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthEnableResponse;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthRoleAddRequest;
import io.etcd.jetcd.api.AuthRoleAddResponse;
import io.etcd.jetcd.api.AuthRoleDeleteRequest;
import io.etcd.jetcd.api.AuthRoleDeleteResponse;
import io.etcd.jetcd.api.AuthRoleGetRequest;
import io.etcd.jetcd.api.AuthRoleGetResponse;
import io.etcd.jetcd.api.AuthRoleGrantPermissionRequest;
import io.etcd.jetcd.api.AuthRoleGrantPermissionResponse;
import io.etcd.jetcd.api.AuthRoleListRequest;
import io.etcd.jetcd.api.AuthRoleListResponse;
import io.etcd.jetcd.api.AuthRoleRevokePermissionRequest;
import io.etcd.jetcd.api.AuthRoleRevokePermissionResponse;
import io.etcd.jetcd.api.AuthUserAddRequest;
import io.etcd.jetcd.api.AuthUserAddResponse;
import io.etcd.jetcd.api.AuthUserChangePasswordRequest;
import io.etcd.jetcd.api.AuthUserChangePasswordResponse;
import io.etcd.jetcd.api.AuthUserDeleteRequest;
import io.etcd.jetcd.api.AuthUserDeleteResponse;
import io.etcd.jetcd.api.AuthUserGetRequest;
import io.etcd.jetcd.api.AuthUserGetResponse;
import io.etcd.jetcd.api.AuthUserGrantRoleRequest;
import io.etcd.jetcd.api.AuthUserGrantRoleResponse;
import io.etcd.jetcd.api.AuthUserListRequest;
import io.etcd.jetcd.api.AuthUserListResponse;
import io.etcd.jetcd.api.AuthUserRevokeRoleRequest;
import io.etcd.jetcd.api.AuthUserRevokeRoleResponse;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdAuth;
import io.kvorum.server.grpc.proto.AuthStatusRequest;
import io.kvorum.server.grpc.proto.AuthStatusResponse;

/**
 * etcd's {@code Auth} service, including {@code AuthStatus} (etcd 3.5) which the jetcd stubs
 * lack; bind {@link #definition()}. The member's {@link EtcdAuth} does the work; who is asking
 * travels in the call's context (see {@code io.kvorum.server.auth.Credentials}).
 */
public final class AuthService extends AuthGrpc.AuthImplBase {
  /** {@code etcdserverpb.Auth/AuthStatus}, behind etcdctl 3.5's {@code auth status}. */
  public static final MethodDescriptor<AuthStatusRequest, AuthStatusResponse> AUTH_STATUS =
      MethodDescriptor.<AuthStatusRequest, AuthStatusResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(AuthGrpc.SERVICE_NAME, "AuthStatus"))
          .setRequestMarshaller(ProtoUtils.marshaller(AuthStatusRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(AuthStatusResponse.getDefaultInstance()))
          .build();

  private final EtcdAuth auth;

  public AuthService(EtcdAuth auth) {
    this.auth = auth;
  }

  /** jetcd's Auth methods plus AuthStatus, under the one service name etcd uses. */
  public ServerServiceDefinition definition() {
    return ExtraMethods.add(
        bindService(), ServerMethodDefinition.create(AUTH_STATUS, ServerCalls.asyncUnaryCall(this::authStatus)));
  }

  public void authStatus(AuthStatusRequest r, StreamObserver<AuthStatusResponse> o) {
    Replies.unary(() -> auth.authStatus(r), o);
  }

  @Override
  public void authEnable(AuthEnableRequest r, StreamObserver<AuthEnableResponse> o) {
    Replies.unary(() -> auth.authEnable(r), o);
  }

  @Override
  public void authDisable(AuthDisableRequest r, StreamObserver<AuthDisableResponse> o) {
    Replies.unary(() -> auth.authDisable(r), o);
  }

  @Override
  public void authenticate(AuthenticateRequest r, StreamObserver<AuthenticateResponse> o) {
    Replies.unary(() -> auth.authenticate(r), o);
  }

  @Override
  public void userAdd(AuthUserAddRequest r, StreamObserver<AuthUserAddResponse> o) {
    Replies.unary(() -> auth.userAdd(r), o);
  }

  @Override
  public void userGet(AuthUserGetRequest r, StreamObserver<AuthUserGetResponse> o) {
    Replies.unary(() -> auth.userGet(r), o);
  }

  @Override
  public void userList(AuthUserListRequest r, StreamObserver<AuthUserListResponse> o) {
    Replies.unary(() -> auth.userList(r), o);
  }

  @Override
  public void userDelete(AuthUserDeleteRequest r, StreamObserver<AuthUserDeleteResponse> o) {
    Replies.unary(() -> auth.userDelete(r), o);
  }

  @Override
  public void userChangePassword(AuthUserChangePasswordRequest r, StreamObserver<AuthUserChangePasswordResponse> o) {
    Replies.unary(() -> auth.userChangePassword(r), o);
  }

  @Override
  public void userGrantRole(AuthUserGrantRoleRequest r, StreamObserver<AuthUserGrantRoleResponse> o) {
    Replies.unary(() -> auth.userGrantRole(r), o);
  }

  @Override
  public void userRevokeRole(AuthUserRevokeRoleRequest r, StreamObserver<AuthUserRevokeRoleResponse> o) {
    Replies.unary(() -> auth.userRevokeRole(r), o);
  }

  @Override
  public void roleAdd(AuthRoleAddRequest r, StreamObserver<AuthRoleAddResponse> o) {
    Replies.unary(() -> auth.roleAdd(r), o);
  }

  @Override
  public void roleGet(AuthRoleGetRequest r, StreamObserver<AuthRoleGetResponse> o) {
    Replies.unary(() -> auth.roleGet(r), o);
  }

  @Override
  public void roleList(AuthRoleListRequest r, StreamObserver<AuthRoleListResponse> o) {
    Replies.unary(() -> auth.roleList(r), o);
  }

  @Override
  public void roleDelete(AuthRoleDeleteRequest r, StreamObserver<AuthRoleDeleteResponse> o) {
    Replies.unary(() -> auth.roleDelete(r), o);
  }

  @Override
  public void roleGrantPermission(AuthRoleGrantPermissionRequest r, StreamObserver<AuthRoleGrantPermissionResponse> o) {
    Replies.unary(() -> auth.roleGrantPermission(r), o);
  }

  @Override
  public void roleRevokePermission(AuthRoleRevokePermissionRequest r, StreamObserver<AuthRoleRevokePermissionResponse> o) {
    Replies.unary(() -> auth.roleRevokePermission(r), o);
  }
}
