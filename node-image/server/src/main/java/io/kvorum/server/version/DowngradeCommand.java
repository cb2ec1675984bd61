package io.kvorum.server.version;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.kvorum.server.grpc.MaintenanceService;
import io.kvorum.server.grpc.proto.DowngradeRequest;
import io.kvorum.server.grpc.proto.DowngradeRequest.DowngradeAction;
import io.kvorum.server.grpc.proto.DowngradeResponse;
import io.kvorum.server.tls.DialFlags;
import java.net.URI;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code kvorum downgrade validate|enable|cancel [<version>] --endpoints <client URL>}: etcd
 * 3.5's {@code etcdctl downgrade}, sent as {@code Maintenance.Downgrade} to a member's client
 * port (the first of a comma-separated list). Exit code 0, 1 when the cluster refuses, 2 for
 * bad arguments.
 */
public final class DowngradeCommand {
  private DowngradeCommand() {}

  public static int run(String[] args) {
    String endpoints = null;
    Map<String, String> tlsFlags = new HashMap<>();
    String action = null;
    String version = "";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("--endpoints=")) {
        endpoints = a.substring("--endpoints=".length());
      } else if (a.equals("--endpoints") && i + 1 < args.length) {
        endpoints = args[++i];
      } else if (a.matches("--(cacert|cert|key)=.*")) {
        tlsFlags.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
      } else if (a.matches("--(cacert|cert|key)") && i + 1 < args.length) {
        tlsFlags.put(a.substring(2), args[++i]);
      } else if (action == null) {
        action = a;
      } else if (version.isEmpty()) {
        version = a;
      } else {
        return usage("unexpected argument '" + a + "'");
      }
    }
    if (action == null || endpoints == null || (!action.equals("cancel") && version.isEmpty())) {
      return usage("missing arguments");
    }
    DowngradeAction kind = actionNamed(action);
    if (kind == null) {
      return usage("unknown action '" + action + "'");
    }
    DialFlags tls = DialFlags.from(tlsFlags);
    URI url = tls.url(endpoints.split(",")[0]);
    ManagedChannel channel = tls.channels().builder(url).build();
    try {
      DowngradeResponse r =
          ClientCalls.blockingUnaryCall(
              channel,
              MaintenanceService.DOWNGRADE,
              CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
              DowngradeRequest.newBuilder().setAction(kind).setVersion(version).build());
      System.out.println(done(kind, version) + " (cluster version " + r.getVersion() + ")");
      return 0;
    } catch (StatusRuntimeException e) {
      System.err.println("kvorum: downgrade " + action + " failed: " + e.getStatus().getDescription()
          + "; the target must be exactly one minor version below the cluster version (see `curl "
          + url + "/version`), and only one downgrade may run at a time");
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  private static String done(DowngradeAction kind, String version) {
    return switch (kind) {
      case VALIDATE -> "downgrade to " + version + " is valid";
      case ENABLE -> "downgrade to " + version + " enabled; replace the members one at a time with the older binary";
      default -> "downgrade canceled";
    };
  }

  /** validate, enable or cancel; null for anything else. */
  private static DowngradeAction actionNamed(String name) {
    for (DowngradeAction a : new DowngradeAction[] {DowngradeAction.VALIDATE, DowngradeAction.ENABLE, DowngradeAction.CANCEL}) {
      if (a.name().equals(name.toUpperCase(Locale.ROOT))) {
        return a;
      }
    }
    return null;
  }

  private static int usage(String problem) {
    System.err.println("kvorum: " + problem + "; usage: kvorum downgrade validate|enable <version> --endpoints <host:client-port> [--cacert ca.pem --cert c.pem --key k.pem], kvorum downgrade cancel --endpoints <host:client-port>");
    return 2;
  }
}
