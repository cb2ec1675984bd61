package io.kvorum.server;

import io.kvorum.server.config.ConfigException;
import io.kvorum.server.config.FlagParser;
import io.kvorum.server.config.ServerConfig;
import io.kvorum.server.log.Log;
import io.kvorum.server.snapshot.SnapshotCommand;
import io.kvorum.server.version.DowngradeCommand;
import io.kvorum.server.version.ServerVersion;
import java.io.IOException;
import java.net.URI;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import sun.misc.Signal;

/**
 * {@code java -jar kvorum.jar}: with etcd's flags it runs a member; {@code kvorum snapshot
 * save|restore|status}, {@code kvorum downgrade}, {@code kvorum version} and {@code kvorum
 * aot-training} (the image build's training run of the JVM's AOT cache, {@link AotTraining}) are
 * subcommands.
 *
 * <p>Exit codes: 0 after a stop on SIGTERM/SIGINT (a leader hands leadership over first) or
 * after the member was removed from the cluster; 1 when the member cannot start or fails while
 * running; 2 for bad flags (one line on stderr saying what is wrong).
 */
public final class Main {
  private static final Log LOG = Log.get(Main.class);

  private Main() {}

  /**
   * Peers are dialled by name; on Kubernetes a replaced member comes back under the same name
   * with a new address. The JVM caches a lookup for 30 s by default, which would keep the old
   * address (and the member unreachable) that long; etcd (Go) does not cache at all.
   */
  private static final String DNS_CACHE_SECONDS = "5";

  public static void main(String[] args) {
    java.security.Security.setProperty("networkaddress.cache.ttl", DNS_CACHE_SECONDS);
    java.security.Security.setProperty("networkaddress.cache.negative.ttl", "1");
    if (args.length > 0 && (args[0].equals("version") || args[0].equals("--version"))) {
      System.out.println("kvorum Version: " + ServerVersion.current());
      System.out.println("Peer Protocol Version: " + ServerVersion.PEER_PROTOCOL);
      System.out.println("Java Version: " + Runtime.version());
      System.exit(0);
    }
    if (args.length > 0 && args[0].equals("downgrade")) {
      System.exit(DowngradeCommand.run(Arrays.copyOfRange(args, 1, args.length)));
    }
    if (args.length > 0 && args[0].equals("aot-training")) {
      System.exit(AotTraining.run());
    }
    if (args.length > 0 && args[0].equals("snapshot")) {
      System.exit(SnapshotCommand.run(Arrays.copyOfRange(args, 1, args.length)));
    }
    if (FlagParser.wantsHelp(args)) {
      System.out.print(FlagParser.usage());
      System.exit(0);
    }
    ServerConfig config;
    try {
      config = FlagParser.parse(args, System.getenv());
      Log.configure(config.logLevel(), config.logOutputs());
    } catch (ConfigException e) {
      System.err.println("kvorum: " + e.getMessage());
      System.exit(2);
      return;
    } catch (IOException e) {
      System.err.println("kvorum: --log-outputs: cannot open " + e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(runMember(config));
  }

  private static int runMember(ServerConfig config) {
    config.warnings().forEach(w -> LOG.warn(w));
    LOG.info(
        "starting kvorum",
        "kvorum-version", ServerVersion.current().toString(),
        "java-version", Runtime.version().toString(),
        "name", config.name(),
        "data-dir", config.dataDir().toString(),
        "listen-client-urls", config.listenClientUrls().stream().map(URI::toString).toList(),
        "listen-peer-urls", config.listenPeerUrls().stream().map(URI::toString).toList(),
        "snapshot-count", config.snapshotCount(),
        "snapshot-log-bytes", config.snapshotLogBytes(),
        "heartbeat-interval", config.heartbeatInterval(),
        "election-timeout", config.electionTimeout(),
        "quota-backend-bytes", config.quotaBackendBytes());
    RunningMember member;
    try {
      member = RunningMember.start(config);
    } catch (RunningMember.StartFailure e) {
      System.err.println("kvorum: " + e.getMessage());
      return 1;
    }

    CompletableFuture<String> signal = new CompletableFuture<>();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), s -> signal.complete(s.getName()));
    }
    CompletableFuture.anyOf(signal, member.terminated()).exceptionally(t -> null).join();
    if (signal.isDone()) {
      LOG.info("received signal; shutting down", "signal", "SIG" + signal.join());
    }
    return member.stop() ? 0 : 1;
  }
}
