package io.kvorum.server.version;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.kvorum.server.peer.pb.DowngradeRequest;
import io.kvorum.server.peer.pb.DowngradeResponse;
import io.kvorum.server.peer.pb.PeerGrpc;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * {@code kvorum downgrade validate|enable|cancel [<version>] --endpoints <host:peer-port>}: etcd
 * 3.5's {@code etcdctl downgrade}, sent to a member's peer port (the client port does not carry
 * Maintenance.Downgrade yet). Exit code 0, 1 when the cluster refuses, 2 for bad arguments.
 */
public final class DowngradeCommand {
  private DowngradeCommand() {}

  public static int run(String[] args) {
    String endpoint = null;
    String action = null;
    String version = "";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("--endpoints=")) {
        endpoint = a.substring("--endpoints=".length());
      } else if (a.equals("--endpoints") && i + 1 < args.length) {
        endpoint = args[++i];
      } else if (action == null) {
        action = a;
      } else if (version.isEmpty()) {
        version = a;
      } else {
        return usage("unexpected argument '" + a + "'");
      }
    }
    if (action == null || endpoint == null || (!action.equals("cancel") && version.isEmpty())) {
      return usage("missing arguments");
    }
    URI url = URI.create(endpoint.contains("://") ? endpoint : "http://" + endpoint);
    ManagedChannel channel = NettyChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext().build();
    try {
      DowngradeResponse r =
          PeerGrpc.newBlockingStub(channel)
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .downgrade(DowngradeRequest.newBuilder().setAction(action).setVersion(version).build());
      System.out.println(r.getMessage() + " (cluster version " + r.getClusterVersion() + ")");
      return 0;
    } catch (StatusRuntimeException e) {
      System.err.println("kvorum: downgrade " + action + " failed: " + e.getStatus().getDescription());
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  private static int usage(String problem) {
    System.err.println("kvorum: " + problem + "; usage: kvorum downgrade validate|enable <version> --endpoints <host:peer-port>, kvorum downgrade cancel --endpoints <host:peer-port>");
    return 2;
  }
}
