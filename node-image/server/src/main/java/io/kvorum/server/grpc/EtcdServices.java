package io.kvorum.server.grpc;

import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.auth.Credentials;
import java.util.List;
import java.util.stream.Stream;

/**
 * The etcd v3 gRPC services of one member, built once and shared by the gRPC transport and
 * the JSON gateway, so both check requests and report errors identically.
 */
public final class EtcdServices {
  public final KvService kv;
  public final WatchService watch;
  public final LeaseService lease;
  public final ClusterService cluster;
  public final MaintenanceService maintenance;
  public final AuthService auth;
  public final ServingService serving;

  public EtcdServices(EtcdNode node, long maxRequestBytes, int maxTxnOps) {
    RequestChecks checks = new RequestChecks(maxRequestBytes, maxTxnOps);
    this.kv = new KvService(node, checks);
    this.watch = new WatchService(node);
    this.lease = new LeaseService(node);
    this.cluster = new ClusterService(node);
    this.maintenance = new MaintenanceService(node);
    this.auth = new AuthService(node.auth());
    this.serving = new ServingService(node);
  }

  /**
   * What the gRPC server binds: one definition per etcd service name and Kvorum's {@code
   * kvorum.v1.Serving}, each reading the caller's token (and client certificate) into the call's
   * context for the auth checks.
   */
  public List<ServerServiceDefinition> definitions() {
    return Stream.of(
            kv.bindService(),
            watch.bindService(),
            lease.definition(),
            cluster.bindService(),
            maintenance.definition(),
            auth.definition(),
            serving.bindService())
        .map(d -> ServerInterceptors.intercept(d, Credentials.serverInterceptor()))
        .toList();
  }
}
