package io.kvorum.server.tls;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.kvorum.server.config.TlsInfo;
import io.kvorum.server.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS of one side of the protocol, loaded from a {@link TlsInfo}: the certificate this
 * member presents (serving, and as a client certificate when it dials) and how it verifies the
 * other side. Both reload their files on change (see {@link ReloadingKeyManager}).
 *
 * <p>Verification of the other side:
 *
 * <ul>
 *   <li>a trusted CA file is given: chains must end at one of its CAs;
 *   <li>auto TLS without a CA file: nothing is verified when dialing (etcd's {@code
 *       InsecureSkipVerify}), since self-signed member certificates cannot be;
 *   <li>otherwise: the JDK's default CAs, for servers with publicly issued certificates.
 * </ul>
 *
 * <p>All Netty contexts use the JDK provider, not the OpenSSL one grpc-netty-shaded bundles:
 * only the JDK engine asks the key and trust managers on every handshake, which reload needs.
 */
public final class PortTls {
  private static final Log LOG = Log.get(PortTls.class);

  /** etcd's {@code selfSignedCertValidity}: one year. */
  static final Duration AUTO_TLS_VALIDITY = Duration.ofDays(365);

  private final X509ExtendedKeyManager keyManager;
  private final X509ExtendedTrustManager trustManager;
  private final boolean clientCertAuth;

  private PortTls(X509ExtendedKeyManager keyManager, X509ExtendedTrustManager trustManager, boolean clientCertAuth) {
    this.keyManager = keyManager;
    this.trustManager = trustManager;
    this.clientCertAuth = clientCertAuth;
  }

  /**
   * Loads a member's TLS; with {@code autoTls}, first makes (or reuses) {@code cert.pem} and
   * {@code key.pem} in {@code autoTlsDir}, valid for {@code hosts}.
   *
   * @throws IOException when a file cannot be read or the key does not match; the message
   *     names the file
   */
  public static PortTls load(TlsInfo info, Path autoTlsDir, List<String> hosts) throws IOException {
    if (!info.enabled()) {
      throw new IllegalArgumentException("TLS is not configured for this port");
    }
    Path cert = info.certFile();
    Path key = info.keyFile();
    if (info.autoTls()) {
      cert = IssuedCertificate.certFile(autoTlsDir, "cert");
      key = IssuedCertificate.keyFile(autoTlsDir, "cert");
      if (!Files.exists(cert) || !Files.exists(key)) {
        IssuedCertificate.selfSigned("kvorum", hosts, AUTO_TLS_VALIDITY).write(autoTlsDir, "cert");
        LOG.info("generated self-signed certificate (auto TLS)", "dir", autoTlsDir.toString(), "hosts", hosts);
      }
    }
    X509ExtendedTrustManager trust =
        info.trustedCaFile() != null
            ? new ReloadingTrustManager(info.trustedCaFile())
            : info.autoTls() ? UnverifiedTrustManager.INSTANCE : defaultTrust();
    return new PortTls(new ReloadingKeyManager(cert, key), trust, info.clientCertAuth());
  }

  /**
   * What a client dials with, as etcdctl's {@code --cacert}, {@code --cert}, {@code --key}
   * (each may be null: no client certificate, the JDK's default CAs).
   */
  public static PortTls forDialing(Path caFile, Path certFile, Path keyFile) throws IOException {
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("--cert and --key go together; give both or neither");
    }
    return new PortTls(
        certFile == null ? null : new ReloadingKeyManager(certFile, keyFile),
        caFile == null ? defaultTrust() : new ReloadingTrustManager(caFile),
        false);
  }

  private static X509ExtendedTrustManager defaultTrust() throws IOException {
    try {
      return ReloadingTrustManager.pkix(null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot load the JDK's default CAs: " + e.getMessage(), e);
    }
  }

  /** Presents this member's certificate; null for a client without one. */
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  public X509ExtendedTrustManager trustManager() {
    return trustManager;
  }

  /** Whether a connecting client must present a certificate that the trust manager accepts. */
  public boolean clientCertAuth() {
    return clientCertAuth;
  }

  /** For a grpc-netty server (the peer port): ALPN h2, client certificates required if asked. */
  public SslContext grpcServerContext() throws SSLException {
    SslContextBuilder b = SslContextBuilder.forServer(keyManager);
    if (clientCertAuth) {
      b.trustManager(trustManager).clientAuth(ClientAuth.REQUIRE);
    }
    return GrpcSslContexts.configure(b, SslProvider.JDK).build();
  }

  /** For grpc-netty channels: presents the certificate if there is one. */
  public SslContext grpcClientContext() throws SSLException {
    SslContextBuilder b = SslContextBuilder.forClient().trustManager(trustManager);
    if (keyManager != null) {
      b.keyManager(keyManager);
    }
    return GrpcSslContexts.configure(b, SslProvider.JDK).build();
  }
}
