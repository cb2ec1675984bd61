package io.kvorum.server.etcd;

import io.grpc.Status;
import io.kvorum.server.api.EtcdException;

/** etcd's server errors (its {@code rpctypes}), with the same codes and texts. */
final class Errors {
  private Errors() {}

  static EtcdException noLeader() {
    return new EtcdException(Status.Code.UNAVAILABLE, "etcdserver: no leader");
  }

  static EtcdException notLeader() {
    return new EtcdException(Status.Code.FAILED_PRECONDITION, "etcdserver: not leader");
  }

  static EtcdException timeout() {
    return new EtcdException(Status.Code.UNAVAILABLE, "etcdserver: request timed out");
  }

  static EtcdException stopped() {
    return new EtcdException(Status.Code.UNAVAILABLE, "etcdserver: server stopped");
  }

  static EtcdException tooLarge() {
    return new EtcdException(Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large");
  }

  static EtcdException memberNotFound() {
    return new EtcdException(Status.Code.NOT_FOUND, "etcdserver: member not found");
  }

  static EtcdException peerUrlExists() {
    return new EtcdException(Status.Code.FAILED_PRECONDITION, "etcdserver: Peer URLs already exists");
  }

  static EtcdException notEnoughStartedMembers() {
    return new EtcdException(
        Status.Code.FAILED_PRECONDITION, "etcdserver: re-configuration failed due to not enough started members");
  }

  static EtcdException learnerNotReady() {
    return new EtcdException(
        Status.Code.FAILED_PRECONDITION, "etcdserver: can only promote a learner member which is in sync with leader");
  }

  static EtcdException notLearner() {
    return new EtcdException(Status.Code.FAILED_PRECONDITION, "etcdserver: can only promote a learner member");
  }

  static EtcdException badLeaderTransferee() {
    return new EtcdException(Status.Code.FAILED_PRECONDITION, "etcdserver: bad leader transferee");
  }

  static EtcdException leaderTransferTimeout() {
    return new EtcdException(
        Status.Code.DEADLINE_EXCEEDED, "etcdserver: request timed out, leader transfer took too long");
  }

  static EtcdException unhealthyCluster() {
    return new EtcdException(Status.Code.UNAVAILABLE, "etcdserver: unhealthy cluster");
  }

  static EtcdException invalidDowngradeTarget() {
    return new EtcdException(Status.Code.INVALID_ARGUMENT, "etcdserver: invalid downgrade target version");
  }

  static EtcdException downgradeInProgress() {
    return new EtcdException(Status.Code.FAILED_PRECONDITION, "etcdserver: cluster has a downgrade job in progress");
  }

  static EtcdException noInflightDowngrade() {
    return new EtcdException(Status.Code.FAILED_PRECONDITION, "etcdserver: no inflight downgrade job");
  }

  static EtcdException clusterVersionUnavailable() {
    return new EtcdException(
        Status.Code.FAILED_PRECONDITION, "etcdserver: cluster version not found during downgrade");
  }

  /** A storage error as the client sees it: same text, same code. */
  static EtcdException of(io.kvorum.storage.EtcdException e) {
    return new EtcdException(Status.Code.valueOf(e.grpcCode()), e.getMessage());
  }

  /** Unwraps completion wrappers and maps anything that is not already etcd's to a timeout. */
  static Throwable client(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof EtcdException) {
      return c;
    }
    if (c instanceof io.kvorum.storage.EtcdException s) {
      return of(s);
    }
    if (c instanceof java.util.concurrent.TimeoutException) {
      return timeout();
    }
    if (c instanceof io.grpc.StatusRuntimeException s) {
      return new EtcdException(s.getStatus().getCode(), String.valueOf(s.getStatus().getDescription()));
    }
    return new EtcdException(Status.Code.INTERNAL, "etcdserver: " + c);
  }
}
