package io.kvorum.server.gateway;

import io.grpc.Status;
import io.vertx.core.json.JsonObject;

/**
 * Errors in grpc-gateway's shapes, so tools written against etcd's gateway parse ours.
 *
 * <p>A unary call answers with the HTTP status grpc-gateway derives from the gRPC code and the
 * body {@code {"error":"<message>","message":"<message>","code":<grpc code>}}; for example
 * {@code INVALID_ARGUMENT "etcdserver: key is not provided"} is HTTP 400 with code 3. A
 * streaming call has already answered 200, so its error is one more line: {@code
 * {"error":{"grpc_code":3,"http_code":400,"message":"...","http_status":"Bad Request"}}}.
 */
final class GatewayErrors {
  private GatewayErrors() {}

  static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 408;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case DEADLINE_EXCEEDED -> 504;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case UNAUTHENTICATED -> 401;
      case RESOURCE_EXHAUSTED -> 429;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
    };
  }

  static String unaryBody(Status status) {
    String message = message(status);
    return new JsonObject()
        .put("error", message)
        .put("message", message)
        .put("code", status.getCode().value())
        .encode();
  }

  static String streamLine(Status status) {
    int http = httpStatus(status.getCode());
    return new JsonObject()
            .put(
                "error",
                new JsonObject()
                    .put("grpc_code", status.getCode().value())
                    .put("http_code", http)
                    .put("message", message(status))
                    .put("http_status", reason(http)))
            .encode()
        + "\n";
  }

  private static String message(Status status) {
    return status.getDescription() == null ? status.getCode().name() : status.getDescription();
  }

  private static String reason(int http) {
    return switch (http) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 409 -> "Conflict";
      case 429 -> "Too Many Requests";
      case 501 -> "Not Implemented";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Internal Server Error";
    };
  }
}
