package io.kvorum.server.http;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.gateway.JsonGateway;
import io.kvorum.server.grpc.EtcdServices;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.grpc.ServerInterceptors;
import io.kvorum.server.tls.PortTls;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcHeaderNames;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpcio.server.GrpcIoServer;
import io.vertx.grpcio.server.GrpcIoServiceBridge;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The client port, etcd's 2379: gRPC and HTTP/1.1 on one TCP port per listen URL.
 *
 * <p>The services are etcd's KV, Watch, Lease, Cluster, Maintenance and Auth (and Kvorum's
 * Serving) over gRPC; {@link HttpEndpoints} ({@code /version}, {@code /health}, {@code /livez},
 * {@code /readyz}, {@code /metrics}) and the JSON gateway under {@code /v3/} over HTTP. etcdctl,
 * jetcd and curl all talk to the same address.
 *
 * <p>An {@code http://} URL is split by its connections' first bytes, as etcd 3.4 does without
 * TLS ({@link PlaintextPortSplitter}): HTTP/2 connections are served by grpc-java's server,
 * HTTP/1.x ones (an h2c upgrade included) are relayed to a Vert.x {@link HttpServer} on
 * loopback that routes each request by its {@code content-type}: {@code application/grpc...}
 * to the same services, anything else to the HTTP endpoints.
 *
 * <p>{@code https://} URLs are served by that Vert.x server directly, over TLS with ALPN ({@code
 * h2}, {@code http/1.1}), every request routed by its content type (etcd 3.4's TLS path); with
 * {@code --client-cert-auth} a client must present a certificate signed by {@code
 * --trusted-ca-file}, and its Common Name reaches the services as {@link
 * io.kvorum.server.api.ClientIdentity}. Certificates are re-read when their files change.
 *
 * <p>{@code --listen-metrics-urls} get listeners of their own that serve only {@code /version},
 * {@code /health}, {@code /livez}, {@code /readyz} and {@code /metrics}; over {@code http://} they
 * ask for no client certificate, so the kubelet and Prometheus reach a member whose client port
 * requires one (etcd's metrics listener, which kubeadm probes).
 *
 * <p>Lifecycle: {@link #start()} returns once every URL is bound (port 0 picks a free port, see
 * {@link #boundAddresses()}); {@link #close()} returns once all are unbound.
 */
public final class ClientPort implements AutoCloseable {
  private static final long START_STOP_TIMEOUT_SECONDS = 30;
  private static final String LOOPBACK = "127.0.0.1";
  /** How long calls in flight may finish when the port closes. */
  private static final Duration GRPC_GRACE = Duration.ofSeconds(1);

  private final EtcdNode node;
  private final List<Listener> listen;
  private final List<Listener> listenMetrics;
  private final ClientPortOptions options;
  private final PortTls tls;
  private final List<HttpServer> servers = new ArrayList<>();
  private final List<Server> grpcServers = new ArrayList<>();
  /** The bound port of each listen URL, then of each metrics URL, in their order. */
  private final List<Integer> ports = new ArrayList<>();
  private Vertx vertx;

  /** One listen URL: where, and whether with TLS ({@code https}). */
  record Listener(InetSocketAddress address, boolean tls) {}

  /** A client port without TLS: only {@code http://} URLs. */
  public ClientPort(EtcdNode node, List<String> listenUrls, ClientPortOptions options) {
    this(node, listenUrls, options, null);
  }

  /** @param tls the certificate and client verification for {@code https://} URLs; null if none */
  public ClientPort(EtcdNode node, List<String> listenUrls, ClientPortOptions options, PortTls tls) {
    this(node, listenUrls, List.of(), options, tls);
  }

  /**
   * @param metricsUrls {@code --listen-metrics-urls}: listeners that serve only the health,
   *     metrics and version endpoints ({@link HttpEndpoints#handleObservability}); an {@code
   *     https://} one uses the client port's certificate and client verification, as in etcd
   */
  public ClientPort(EtcdNode node, List<String> listenUrls, List<String> metricsUrls, ClientPortOptions options, PortTls tls) {
    if (listenUrls.isEmpty()) {
      throw new IllegalArgumentException("--listen-client-urls is empty: give at least one URL");
    }
    this.node = node;
    this.listen = listenUrls.stream().map(ClientPort::parseListenUrl).toList();
    this.listenMetrics = metricsUrls.stream().map(ClientPort::parseListenUrl).toList();
    this.options = options;
    this.tls = tls;
    if (tls == null) {
      for (Listener listener : java.util.stream.Stream.concat(listen.stream(), listenMetrics.stream()).toList()) {
        if (listener.tls()) {
          throw new IllegalArgumentException(
              "listen URL '" + describe(listener) + "' is https but the client port has no certificate (--cert-file/--key-file or --auto-tls)");
        }
      }
    }
  }

  /** {@code http://host:port} or {@code https://host:port} to a listener; unix sockets are not served. */
  static Listener parseListenUrl(String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "listen client URL '" + url + "' is not a URL: " + e.getMessage());
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException("listen client URL '" + url + "' must start with http:// or https://");
    }
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw new IllegalArgumentException(
          "listen client URL '" + url + "' needs a host and a port, e.g. http://127.0.0.1:2379");
    }
    if (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/")) {
      throw new IllegalArgumentException(
          "listen client URL '" + url + "' must not have a path");
    }
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new Listener(InetSocketAddress.createUnresolved(host, uri.getPort()), "https".equals(uri.getScheme()));
  }

  /** Binds every listen URL; fails (and unbinds what was bound) if any cannot be bound. */
  public synchronized void start() {
    if (vertx != null) {
      throw new IllegalStateException("client port already started");
    }
    // No class-path file resolving: the port serves no files, and Vert.x would otherwise make a
    // vertx-cache-<uuid> directory in java.io.tmpdir that a killed member never removes.
    vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(
        new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false)));
    EtcdServices services =
        new EtcdServices(node, options.maxRequestBytes(), options.maxTxnOps());
    List<ServerServiceDefinition> guarded =
        services.definitions().stream().map(d -> RequestDecoding.guard(d, options.maxGrpcMessageBytes())).toList();
    GrpcIoServer grpc =
        GrpcIoServer.server(
            vertx, new GrpcServerOptions().setMaxMessageSize(options.transportMessageBytes()));
    ClientCertInterceptor clientCerts = new ClientCertInterceptor();
    for (ServerServiceDefinition definition : guarded) {
      GrpcIoServiceBridge.bridge(ServerInterceptors.intercept(definition, clientCerts)).bind(grpc);
    }
    HttpEndpoints http =
        new HttpEndpoints(node, new JsonGateway(services, options.maxGatewayBodyBytes()));
    try {
      for (Listener listener : listen) {
        if (listener.tls()) {
          HttpServer server = listenHttp(serverOptions(listener), request -> route(request, grpc, http), "listen for clients on " + describe(listener));
          ports.add(server.actualPort());
        } else {
          HttpServer relayed = listenHttp(serverOptions(new Listener(InetSocketAddress.createUnresolved(LOOPBACK, 0), false)),
              request -> route(request, grpc, http), "listen for HTTP/1 clients of " + describe(listener) + " on loopback");
          ports.add(startGrpc(listener, guarded, new InetSocketAddress(LOOPBACK, relayed.actualPort())));
        }
      }
      for (Listener listener : listenMetrics) {
        HttpServer server = listenHttp(serverOptions(listener), http::handleObservability, "listen for metrics and health checks on " + describe(listener));
        ports.add(server.actualPort());
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private HttpServer listenHttp(HttpServerOptions serverOptions, io.vertx.core.Handler<HttpServerRequest> handler, String what) {
    HttpServer server =
        vertx
            .createHttpServer(serverOptions)
            .requestHandler(handler)
            .connectionHandler(SchemeInAuthority::install)
            // A client that sends garbage or resets its connection is its own problem:
            // Vert.x already closed that connection, the port keeps serving the others.
            .exceptionHandler(ignored -> {});
    servers.add(await(server.listen(), what));
    return server;
  }

  /**
   * grpc-java's server for a plaintext URL; HTTP/1 connections go on to {@code http1}. Calls run
   * on the transport's thread (no service blocks; the member answers from its own threads).
   * Keep-alive pings are allowed every 5 s, with or without calls: etcd's {@code
   * --grpc-keepalive-min-time}, and more lenient than grpc-java's 5 minutes, which would send
   * jetcd and etcdctl clients away ({@code too_many_pings}).
   */
  private int startGrpc(Listener listener, List<ServerServiceDefinition> definitions, InetSocketAddress http1) {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(listener.address().getHostString(), listener.address().getPort()))
            .protocolNegotiator(new PlaintextPortSplitter(http1))
            // A relayed HTTP/1 connection never finishes gRPC's negotiation; the splitter closes
            // connections that say nothing instead.
            .handshakeTimeout(Long.MAX_VALUE, TimeUnit.MILLISECONDS)
            .directExecutor()
            .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, options.transportMessageBytes()))
            .maxConcurrentCallsPerConnection((int) Math.min(Integer.MAX_VALUE, options.maxConcurrentStreams()))
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true);
    definitions.forEach(builder::addService);
    Server server = builder.build();
    try {
      server.start();
    } catch (IOException e) {
      throw new IllegalStateException("kvorum: cannot listen for clients on " + describe(listener) + ": " + e.getMessage(), e);
    }
    grpcServers.add(server);
    return server.getPort();
  }

  private static void route(HttpServerRequest request, GrpcIoServer grpc, HttpEndpoints http) {
    String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
    if (contentType != null && contentType.startsWith("application/grpc")) {
      // The Vert.x bridge gives a call with a deadline a Context whose deadline timer is not
      // cancelled when the call ends: each finished call stayed reachable from the event loop's
      // timer queue until its deadline (10 s deadlines at 7,000 calls/s held 70,000 finished
      // calls, 700 MB of heap) and then got a stray RST_STREAM. Clients enforce their own
      // deadlines and reset the stream when one passes, which cancels the call here.
      request.headers().remove(GrpcHeaderNames.GRPC_TIMEOUT);
      grpc.handle(request);
    } else {
      http.handle(request);
    }
  }

  private HttpServerOptions serverOptions(Listener listener) {
    HttpServerOptions o =
        new HttpServerOptions()
            .setHost(listener.address().getHostString())
            .setPort(listener.address().getPort())
            .setHttp2ClearTextEnabled(true)
            .setInitialSettings(
                new Http2Settings().setMaxConcurrentStreams(options.maxConcurrentStreams()));
    if (listener.tls()) {
      // The wrapped managers are asked on every handshake, so renewed files apply without a restart.
      o.setSsl(true).setUseAlpn(true).setKeyCertOptions(KeyCertOptions.wrap(tls.keyManager()));
      if (tls.clientCertAuth()) {
        o.setTrustOptions(TrustOptions.wrap(tls.trustManager())).setClientAuth(ClientAuth.REQUIRED);
      }
    }
    return o;
  }

  /** Where the servers listen, in the order of the listen URLs (actual ports, even for 0). */
  public synchronized List<InetSocketAddress> boundAddresses() {
    return bound(listen, 0);
  }

  /** Where the metrics listeners listen, in the order of their URLs. */
  public synchronized List<InetSocketAddress> boundMetricsAddresses() {
    return bound(listenMetrics, listen.size());
  }

  private List<InetSocketAddress> bound(List<Listener> listeners, int firstPort) {
    List<InetSocketAddress> bound = new ArrayList<>();
    for (int i = 0; i < listeners.size() && firstPort + i < ports.size(); i++) {
      bound.add(new InetSocketAddress(listeners.get(i).address().getHostString(), ports.get(firstPort + i)));
    }
    return bound;
  }

  /** Stops accepting, closes client connections, returns when done. Idempotent. */
  @Override
  public synchronized void close() {
    if (vertx == null) {
      return;
    }
    try {
      // shutdown() closes relayed and undecided connections at once (a close is all grpc asks of
      // a connection it did not negotiate) and sends gRPC ones GOAWAY; calls still running after
      // a grace period, watches above all, are then cancelled.
      for (Server server : grpcServers) {
        server.shutdown();
      }
      for (Server server : grpcServers) {
        if (!awaitTermination(server, GRPC_GRACE)) {
          server.shutdownNow();
          if (!awaitTermination(server, Duration.ofSeconds(START_STOP_TIMEOUT_SECONDS))) {
            throw new IllegalStateException(
                "kvorum: cannot stop the client listener on port " + server.getPort() + ": no answer within " + START_STOP_TIMEOUT_SECONDS + "s");
          }
        }
      }
      for (HttpServer server : servers) {
        await(server.close(), "stop the client listener on port " + server.actualPort());
      }
    } finally {
      grpcServers.clear();
      servers.clear();
      ports.clear();
      Vertx closing = vertx;
      vertx = null;
      await(closing.close(), "stop the client port's event loops");
    }
  }

  private static boolean awaitTermination(Server server, Duration timeout) {
    try {
      return server.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("kvorum: interrupted while stopping the client listener on port " + server.getPort(), e);
    }
  }

  private static String describe(Listener listener) {
    InetSocketAddress address = listener.address();
    return (listener.tls() ? "https://" : "http://") + address.getHostString() + ":" + address.getPort();
  }

  private static <T> T await(io.vertx.core.Future<T> future, String what) {
    try {
      return future
          .toCompletionStage()
          .toCompletableFuture()
          .get(START_STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new IllegalStateException(
          "kvorum: cannot " + what + ": " + (cause.getMessage() == null ? cause : cause.getMessage()),
          cause);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "kvorum: cannot " + what + ": no answer within " + START_STOP_TIMEOUT_SECONDS + "s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("kvorum: interrupted while trying to " + what, e);
    }
  }
}
