package io.kvorum.server.grpc;

import io.grpc.ServerServiceDefinition;
import io.kvorum.server.api.EtcdNode;
import java.util.List;

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

  public EtcdServices(EtcdNode node, long maxRequestBytes, int maxTxnOps) {
    RequestChecks checks = new RequestChecks(maxRequestBytes, maxTxnOps);
    this.kv = new KvService(node, checks);
    this.watch = new WatchService(node);
    this.lease = new LeaseService(node);
    this.cluster = new ClusterService(node);
    this.maintenance = new MaintenanceService(node);
  }

  /** What the gRPC server binds: one definition per etcd service name. */
  public List<ServerServiceDefinition> definitions() {
    return List.of(
        kv.bindService(),
        watch.bindService(),
        lease.definition(),
        cluster.bindService(),
        maintenance.definition());
  }
}
