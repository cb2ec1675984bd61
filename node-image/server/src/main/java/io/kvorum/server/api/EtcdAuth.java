package io.kvorum.server.api;

import io.etcd.jetcd.api.AuthDisableRequest;
import io.etcd.jetcd.api.AuthDisableResponse;
import io.etcd.jetcd.api.AuthEnableRequest;
import io.etcd.jetcd.api.AuthEnableResponse;
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
import io.grpc.Status;
import io.kvorum.server.grpc.proto.AuthStatusRequest;
import io.kvorum.server.grpc.proto.AuthStatusResponse;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's {@code Auth} service as the client port needs it from a member (see {@link
 * EtcdNode#auth()}). The caller's credentials are those of the call being served (see {@code
 * io.kvorum.server.auth.Credentials}). Failures are etcd's ({@code "etcdserver: permission
 * denied"}, ...); every method of this default answers UNIMPLEMENTED, for members without auth.
 */
public interface EtcdAuth {
  EtcdAuth UNIMPLEMENTED = new EtcdAuth() {};

  private static <T> CompletableFuture<T> unimplemented() {
    return CompletableFuture.failedFuture(
        new EtcdException(Status.Code.UNIMPLEMENTED, "authentication is not supported by this member"));
  }

  default CompletableFuture<AuthEnableResponse> authEnable(AuthEnableRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthDisableResponse> authDisable(AuthDisableRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthStatusResponse> authStatus(AuthStatusRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthenticateResponse> authenticate(AuthenticateRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthUserAddResponse> userAdd(AuthUserAddRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthUserGetResponse> userGet(AuthUserGetRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthUserListResponse> userList(AuthUserListRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthUserDeleteResponse> userDelete(AuthUserDeleteRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthUserChangePasswordResponse> userChangePassword(AuthUserChangePasswordRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthUserGrantRoleResponse> userGrantRole(AuthUserGrantRoleRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthUserRevokeRoleResponse> userRevokeRole(AuthUserRevokeRoleRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthRoleAddResponse> roleAdd(AuthRoleAddRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthRoleGetResponse> roleGet(AuthRoleGetRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthRoleListResponse> roleList(AuthRoleListRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthRoleDeleteResponse> roleDelete(AuthRoleDeleteRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthRoleGrantPermissionResponse> roleGrantPermission(AuthRoleGrantPermissionRequest r) {
    return unimplemented();
  }

  default CompletableFuture<AuthRoleRevokePermissionResponse> roleRevokePermission(AuthRoleRevokePermissionRequest r) {
    return unimplemented();
  }
}
