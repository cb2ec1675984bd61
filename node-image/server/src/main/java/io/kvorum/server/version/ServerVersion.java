package io.kvorum.server.version;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this build, filtered into {@code kvorum-version.properties} from the Maven
 * project version (so {@code -Drevision=1.1.0} builds a 1.1.0 server), and the internal peer
 * protocol version it speaks.
 */
public final class ServerVersion {

  /**
   * Version of the peer protocol (handshake, Raft message stream, snapshot stream). Raised when
   * the wire format changes incompatibly; a member refuses peers outside {@link
   * #MIN_PEER_PROTOCOL}..{@link #PEER_PROTOCOL}.
   */
  public static final int PEER_PROTOCOL = 1;

  public static final int MIN_PEER_PROTOCOL = 1;

  private static final Version CURRENT = load();

  private ServerVersion() {}

  public static Version current() {
    return CURRENT;
  }

  private static Version load() {
    try (InputStream in = ServerVersion.class.getResourceAsStream("/kvorum-version.properties")) {
      if (in == null) {
        throw new IllegalStateException("kvorum-version.properties is missing from the jar");
      }
      Properties p = new Properties();
      p.load(in);
      return Version.parse(p.getProperty("server.version"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
