package io.kvorum.server.http;

import io.grpc.Status;
import io.kvorum.server.api.EtcdNode;
import io.kvorum.server.gateway.JsonGateway;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The plain-HTTP side of the client port, as etcd serves it on 2379, and the whole of a metrics
 * listener ({@link #handleObservability}).
 *
 * <ul>
 *   <li>{@code GET /version}: {@code {"etcdserver":"3.5.0","etcdcluster":"3.5.0"}}; the cluster
 *       version reads {@code not_decided} until the leader has decided it, as in etcd.
 *   <li>{@code GET /health}: 200 {@code {"health":"true","reason":""}} or 503 {@code
 *       {"health":"false","reason":"..."}}, from {@link EtcdNode#health()} (bounded by {@link
 *       #HEALTH_TIMEOUT_SECONDS}).
 *   <li>{@code GET /livez}: 200 {@code ok} while the port answers at all. {@code GET /readyz}:
 *       200 {@code ok} when the member is ready, knows a leader and is not drained, else 503 with
 *       the reason.
 *   <li>{@code GET /metrics}: the member's registry in Prometheus text format.
 *   <li>{@code /v3/...}: the JSON gateway. {@code /v3beta} and {@code /v3alpha} were removed in
 *       etcd 3.5 and answer 404 saying so.
 * </ul>
 */
final class HttpEndpoints {
  static final long HEALTH_TIMEOUT_SECONDS = 5;
  static final String CLUSTER_VERSION_NOT_DECIDED = "not_decided";
  private static final java.util.regex.Pattern INTEGER = java.util.regex.Pattern.compile("-?\\d+");

  private final EtcdNode node;
  private final JsonGateway gateway;
  private final PrometheusTextFormatWriter metricsWriter = PrometheusTextFormatWriter.create();

  HttpEndpoints(EtcdNode node, JsonGateway gateway) {
    this.node = node;
    this.gateway = gateway;
  }

  void handle(HttpServerRequest request) {
    String path = request.path();
    if (path.startsWith("/v3/")) {
      gateway.handle(request);
      return;
    }
    if (path.startsWith("/v3beta/") || path.startsWith("/v3alpha/")) {
      JsonGateway.reject(
          request,
          Status.Code.NOT_FOUND,
          404,
          "Not Found: "
              + path.substring(0, path.indexOf('/', 1))
              + " was removed in etcd 3.5 and is not served; use /v3"
              + path.substring(path.indexOf('/', 1)));
      return;
    }
    handleObservability(request);
  }

  /**
   * What a {@code --listen-metrics-urls} listener serves: {@code /version}, {@code /health},
   * {@code /livez}, {@code /readyz} and {@code /metrics}, nothing else (etcd's metrics listener).
   * Over plain HTTP it asks for no client certificate, so the kubelet can probe a member whose
   * client port requires one.
   */
  void handleObservability(HttpServerRequest request) {
    switch (request.path()) {
      case "/version" -> onlyGet(request, () -> version(request));
      case "/health" -> onlyGet(request, () -> health(request));
      case "/livez" -> onlyGet(request, () -> text(request, 200, "ok"));
      case "/readyz" -> onlyGet(request, () -> readyz(request));
      case "/metrics" -> onlyGet(request, () -> metrics(request));
      default -> text(request, 404, "404 page not found");
    }
  }

  private static void onlyGet(HttpServerRequest request, Runnable serve) {
    if (request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD) {
      serve.run();
    } else {
      request.response().putHeader(HttpHeaders.ALLOW, "GET, HEAD");
      text(request, 405, "Method Not Allowed: use GET " + request.path());
    }
  }

  private void version(HttpServerRequest request) {
    EtcdNode.NodeInfo info = node.info();
    String cluster = info.clusterVersion();
    json(
        request,
        200,
        new JsonObject()
            .put("etcdserver", info.serverVersion())
            .put(
                "etcdcluster",
                cluster == null || cluster.isBlank() ? CLUSTER_VERSION_NOT_DECIDED : cluster));
  }

  private void health(HttpServerRequest request) {
    Context context = Vertx.currentContext();
    CompletableFuture<EtcdNode.Health> health;
    try {
      health = node.health();
    } catch (RuntimeException e) {
      health = CompletableFuture.failedFuture(e);
    }
    health
        .orTimeout(HEALTH_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .whenComplete(
            (answer, failure) ->
                context.runOnContext(
                    ignored -> {
                      EtcdNode.Health h =
                          failure == null
                              ? answer
                              : new EtcdNode.Health(false, describeHealthFailure(failure));
                      json(
                          request,
                          h.healthy() ? 200 : 503,
                          new JsonObject()
                              .put("health", Boolean.toString(h.healthy()))
                              .put("reason", h.reason() == null ? "" : h.reason()));
                    }));
  }

  private static String describeHealthFailure(Throwable failure) {
    Throwable cause = io.kvorum.server.grpc.GrpcErrors.unwrap(failure);
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return "health check timed out after " + HEALTH_TIMEOUT_SECONDS + "s";
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  private void readyz(HttpServerRequest request) {
    EtcdNode.NodeInfo info = node.info();
    if (!info.ready()) {
      text(request, 503, "[-]ready failed: the member has not finished starting\nreadyz check failed");
    } else if (!info.hasLeader()) {
      text(request, 503, "[-]leader failed: no leader is known\nreadyz check failed");
    } else if (info.drainedSeconds() > 0) {
      text(request, 503, "[-]serving failed: drained for another " + info.drainedSeconds()
          + " s (kvorum.v1.Serving/Drain) before leaving the cluster; it still answers requests\nreadyz check failed");
    } else {
      text(request, 200, "ok");
    }
  }

  private void metrics(HttpServerRequest request) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      metricsWriter.write(out, node.metricsRegistry().scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    } catch (IOException | RuntimeException e) {
      text(request, 500, "kvorum: cannot collect metrics: " + e.getMessage());
      return;
    }
    request
        .response()
        .setStatusCode(200)
        .putHeader(HttpHeaders.CONTENT_TYPE, metricsWriter.getContentType())
        .end(withIntegralValuesAsEtcd(out.toString(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /**
   * Writes whole-number sample values as etcd (Go's client) does: {@code etcd_server_is_leader
   * 1}, not the Java client's {@code 1.0}. Both are valid Prometheus text; this keeps {@code curl
   * /metrics | grep etcd_server_is_leader} printing exactly what etcd's operators expect (the
   * upgrade guide shows that line). Comments and non-integral values are left alone.
   */
  static String withIntegralValuesAsEtcd(String exposition) {
    StringBuilder result = new StringBuilder(exposition.length());
    for (String line : exposition.split("\n", -1)) {
      if (!line.startsWith("#") && line.endsWith(".0")) {
        int space = line.lastIndexOf(' ');
        String value = line.substring(space + 1, line.length() - 2);
        if (space > 0 && INTEGER.matcher(value).matches()) {
          line = line.substring(0, line.length() - 2);
        }
      }
      result.append(line).append('\n');
    }
    result.setLength(result.length() - 1); // split kept the text after the last newline
    return result.toString();
  }


  private static void json(HttpServerRequest request, int status, JsonObject body) {
    request
        .response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.encode());
  }

  private static void text(HttpServerRequest request, int status, String body) {
    request
        .response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
        .end(body);
  }
}
