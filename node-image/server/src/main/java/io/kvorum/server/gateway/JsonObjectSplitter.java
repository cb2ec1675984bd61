package io.kvorum.server.gateway;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Cuts a stream of concatenated JSON objects into single objects as bytes arrive, the way
 * grpc-gateway reads the request body of a client-streaming call ({@code /v3/watch}, {@code
 * /v3/lease/keepalive}).
 *
 * <p>Worked example: feeding {@code {"a":"}"} {"b":1}} in any chunking emits {@code
 * {"a":"}"}} then {@code {"b":1}}; braces inside strings do not count, whitespace between
 * objects is skipped, anything else between objects is an error.
 */
final class JsonObjectSplitter {
  private final long maxObjectBytes;
  private final Consumer<String> objects;
  private final ByteArrayOutputStream current = new ByteArrayOutputStream();
  private int depth;
  private boolean inString;
  private boolean escaped;

  JsonObjectSplitter(long maxObjectBytes, Consumer<String> objects) {
    this.maxObjectBytes = maxObjectBytes;
    this.objects = objects;
  }

  /** Consumes bytes; throws {@link IllegalArgumentException} on input that is not objects. */
  void feed(byte[] bytes) {
    for (byte b : bytes) {
      if (depth == 0) {
        if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
          continue;
        }
        if (b != '{') {
          throw new IllegalArgumentException(
              "expected a JSON object ('{') in the request stream, found '" + (char) b + "'");
        }
      }
      current.write(b);
      if (current.size() > maxObjectBytes) {
        throw new IllegalArgumentException(
            "a JSON object in the request stream is larger than " + maxObjectBytes + " bytes");
      }
      track(b);
      if (depth == 0) {
        objects.accept(current.toString(java.nio.charset.StandardCharsets.UTF_8));
        current.reset();
      }
    }
  }

  /** True when the bytes so far end between objects (nothing half read). */
  boolean atBoundary() {
    return depth == 0 && current.size() == 0;
  }

  private void track(byte b) {
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (b == '\\') {
        escaped = true;
      } else if (b == '"') {
        inString = false;
      }
    } else if (b == '"') {
      inString = true;
    } else if (b == '{' || b == '[') {
      depth++;
    } else if (b == '}' || b == ']') {
      depth--;
    }
  }
}
