package io.kvorum.server;

import io.kvorum.server.auth.AuthorizingNode;
import io.kvorum.server.auth.PasswordHasher;
import io.kvorum.server.config.ServerConfig;
import io.kvorum.server.etcd.EtcdServer;
import io.kvorum.server.http.ClientPort;
import io.kvorum.server.http.ClientPortOptions;
import io.kvorum.server.log.Log;
import io.kvorum.server.tls.MemberTls;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * A started member: the Raft member, the auth layer in front of it, and its client port. Both
 * {@link Main} (until a signal) and {@link AotTraining} (for a few seconds) run one.
 */
final class RunningMember {
  private static final Log LOG = Log.get(RunningMember.class);

  /** Why the member did not start; the message is what the operator reads on stderr. */
  static final class StartFailure extends Exception {
    StartFailure(String message) {
      super(message);
    }
  }

  private final EtcdServer server;
  private final AuthorizingNode clientFacing;
  private final ClientPort clientPort;

  private RunningMember(EtcdServer server, AuthorizingNode clientFacing, ClientPort clientPort) {
    this.server = server;
    this.clientFacing = clientFacing;
    this.clientPort = clientPort;
  }

  static RunningMember start(ServerConfig config) throws StartFailure {
    MemberTls tls;
    try {
      tls = MemberTls.load(config);
    } catch (IOException | RuntimeException e) {
      LOG.error("cannot load TLS certificates", "error", e.getMessage());
      throw new StartFailure("cannot load TLS certificates: " + e.getMessage());
    }
    EtcdServer server;
    try {
      server = EtcdServer.start(config, tls);
    } catch (EtcdServer.StartException e) {
      LOG.error("cannot start member", "error", e.getMessage());
      throw new StartFailure(e.getMessage());
    } catch (Exception e) {
      LOG.error("cannot start member", "error", String.valueOf(e));
      throw new StartFailure("cannot start member: " + e);
    }
    // Every client request is checked against the replicated auth state before the member sees it.
    AuthorizingNode clientFacing =
        new AuthorizingNode(
            server, server.authStore(), server::proposeAuth, new PasswordHasher(config.bcryptCost()),
            config.clientTls().clientCertAuth(), config.maxWatchers());
    ClientPort clientPort =
        new ClientPort(
            clientFacing,
            config.listenClientUrls().stream().map(URI::toString).toList(),
            config.listenMetricsUrls().stream().map(URI::toString).toList(),
            new ClientPortOptions(config.maxRequestBytes(), ClientPortOptions.DEFAULT_MAX_TXN_OPS, config.maxConcurrentStreams()),
            tls.client());
    try {
      clientPort.start();
    } catch (RuntimeException e) {
      LOG.error("cannot serve client traffic", "error", String.valueOf(e));
      server.close();
      throw new StartFailure("cannot listen on --listen-client-urls: " + e.getMessage());
    }
    LOG.info("ready to serve client requests", "listen-client-urls", config.listenClientUrls().stream().map(URI::toString).toList(),
        "listen-metrics-urls", config.listenMetricsUrls().stream().map(URI::toString).toList());
    return new RunningMember(server, clientFacing, clientPort);
  }

  /** Completes when the member stops on its own: removed from the cluster, or failed. */
  CompletableFuture<Void> terminated() {
    return server.terminated();
  }

  /** Stops the client port, then the member (a leader hands leadership over); true if clean. */
  boolean stop() {
    boolean clean = new Shutdown().then("client port", clientPort).then("auth", clientFacing).then("member", server).closeAll();
    return clean && !server.terminated().isCompletedExceptionally();
  }
}
