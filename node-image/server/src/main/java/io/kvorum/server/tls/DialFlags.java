package io.kvorum.server.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * etcdctl's TLS flags for the subcommands that dial a member's client port ({@code kvorum
 * snapshot save}, {@code kvorum downgrade}): {@code --cacert}, {@code --cert}, {@code --key}.
 * As in etcdctl, any of them, or an {@code https://} endpoint, means TLS; {@code host:port}
 * alone means plaintext. Example: {@code --endpoints 127.0.0.1:2379 --cacert ca.pem} dials
 * {@code https://127.0.0.1:2379} and checks the member's certificate against {@code ca.pem}.
 */
public record DialFlags(Path cacert, Path cert, Path key) {

  /** Reads the three flags from parsed {@code name -> value} pairs (absent ones are null). */
  public static DialFlags from(Map<String, String> flags) {
    return new DialFlags(path(flags.get("cacert")), path(flags.get("cert")), path(flags.get("key")));
  }

  private static Path path(String v) {
    return v == null || v.isBlank() ? null : Path.of(v);
  }

  private boolean any() {
    return cacert != null || cert != null || key != null;
  }

  /** {@code host:port} or a URL, to the URL dialed. */
  public URI url(String endpoint) {
    String e = endpoint.trim();
    return URI.create(e.contains("://") ? e : (any() ? "https://" : "http://") + e);
  }

  /**
   * Channels with these credentials.
   *
   * @throws IllegalArgumentException when only one of {@code --cert} and {@code --key} is given
   * @throws UncheckedIOException when a file cannot be read (the message names it)
   */
  public GrpcChannels channels() {
    try {
      return GrpcChannels.of(any() ? PortTls.forDialing(cacert, cert, key) : null);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }
}
