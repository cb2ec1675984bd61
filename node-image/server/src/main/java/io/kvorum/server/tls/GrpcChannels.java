package io.kvorum.server.tls;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import javax.net.ssl.SSLException;

/**
 * Opens gRPC channels to member URLs the way the URL says: {@code http://} in plaintext,
 * {@code https://} with TLS, presenting this member's certificate. One instance per kind of
 * target (peer URLs with the peer TLS, client URLs with the client TLS), shared by every dialer;
 * the TLS context is built once and its managers reload certificates on change.
 *
 * <p>Example: {@code channels.builder(URI.create("https://10.0.0.2:2380")).build()} handshakes
 * with the peer certificate and checks that the member's certificate names {@code 10.0.0.2}.
 */
public final class GrpcChannels {
  private final SslContext tls;

  private GrpcChannels(SslContext tls) {
    this.tls = tls;
  }

  /** Dials https with {@code tls}; without TLS configured, https uses the JDK's default CAs. */
  public static GrpcChannels of(PortTls tls) {
    try {
      return new GrpcChannels(tls != null ? tls.grpcClientContext() : PortTls.forDialing(null, null, null).grpcClientContext());
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS for dialing: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A builder for {@code url} ({@code scheme://host:port}), plaintext or TLS by scheme. */
  public NettyChannelBuilder builder(URI url) {
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(url.getHost(), url.getPort());
    return "https".equals(url.getScheme()) ? b.sslContext(tls) : b.usePlaintext();
  }
}
