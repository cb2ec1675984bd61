package io.kvorum.server.auth;

import io.grpc.Status;
import io.kvorum.server.api.EtcdException;

/**
 * etcd's auth errors (its {@code rpctypes}) with the same gRPC codes and texts, so etcdctl,
 * jetcd and Kubernetes react to them as they do against etcd: jetcd re-authenticates on {@code
 * UNAUTHENTICATED "etcdserver: invalid auth token"}, etcdctl prints the text after "Error: ".
 */
public final class AuthErrors {
  public static final String PERMISSION_DENIED = "etcdserver: permission denied";
  public static final String INVALID_AUTH_TOKEN = "etcdserver: invalid auth token";

  private AuthErrors() {}

  public static EtcdException rootUserNotExist() {
    return failedPrecondition("etcdserver: root user does not exist");
  }

  public static EtcdException rootRoleNotExist() {
    return failedPrecondition("etcdserver: root user does not have root role");
  }

  public static EtcdException userAlreadyExist() {
    return failedPrecondition("etcdserver: user name already exists");
  }

  public static EtcdException userEmpty() {
    return invalidArgument("etcdserver: user name is empty");
  }

  public static EtcdException userNotFound() {
    return failedPrecondition("etcdserver: user name not found");
  }

  public static EtcdException roleAlreadyExist() {
    return failedPrecondition("etcdserver: role name already exists");
  }

  public static EtcdException roleNotFound() {
    return failedPrecondition("etcdserver: role name not found");
  }

  public static EtcdException roleEmpty() {
    return invalidArgument("etcdserver: role name is empty");
  }

  public static EtcdException authFailed() {
    return invalidArgument("etcdserver: authentication failed, invalid user ID or password");
  }

  public static EtcdException permissionDenied() {
    return new EtcdException(Status.Code.PERMISSION_DENIED, PERMISSION_DENIED);
  }

  public static EtcdException roleNotGranted() {
    return failedPrecondition("etcdserver: role is not granted to the user");
  }

  public static EtcdException permissionNotGranted() {
    return failedPrecondition("etcdserver: permission is not granted to the role");
  }

  public static EtcdException authNotEnabled() {
    return failedPrecondition("etcdserver: authentication is not enabled");
  }

  public static EtcdException invalidAuthToken() {
    return new EtcdException(Status.Code.UNAUTHENTICATED, INVALID_AUTH_TOKEN);
  }

  public static EtcdException invalidAuthMgmt() {
    return invalidArgument("etcdserver: invalid auth management");
  }

  /** The auth state changed between the check of a request and its apply (etcd 3.5's text). */
  public static EtcdException authOldRevision() {
    return invalidArgument("etcdserver: revision of auth store is old");
  }

  private static EtcdException failedPrecondition(String message) {
    return new EtcdException(Status.Code.FAILED_PRECONDITION, message);
  }

  private static EtcdException invalidArgument(String message) {
    return new EtcdException(Status.Code.INVALID_ARGUMENT, message);
  }
}
