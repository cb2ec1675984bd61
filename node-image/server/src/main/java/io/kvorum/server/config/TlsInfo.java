package io.kvorum.server.config;

import java.nio.file.Path;

/**
 * The TLS settings of one port, etcd's {@code transport.TLSInfo}: either the client port
 * ({@code --cert-file}, {@code --key-file}, {@code --trusted-ca-file}, {@code
 * --client-cert-auth}, {@code --auto-tls}) or the peer port (the same flags with {@code
 * peer-}).
 *
 * <p>Checked by {@link FlagParser}: cert and key come together; client-cert-auth needs a trusted
 * CA; when files are given, {@code autoTls} is false (etcd ignores auto TLS then).
 *
 * @param certFile PEM certificate chain, leaf first; null with auto TLS or without TLS
 * @param keyFile PEM private key (PKCS#8, PKCS#1 or SEC1) of the leaf
 * @param trustedCaFile PEM CA bundle the other side's certificate must chain to; null: the JDK's
 *     default roots (and, with {@code autoTls}, no verification at all, as etcd)
 * @param clientCertAuth refuse connections whose client certificate does not chain to {@code
 *     trustedCaFile}
 * @param autoTls generate a self-signed certificate at start (etcd's {@code --auto-tls})
 */
public record TlsInfo(
    Path certFile, Path keyFile, Path trustedCaFile, boolean clientCertAuth, boolean autoTls) {

  /** No TLS: {@code http://} URLs only. */
  public static final TlsInfo NONE = new TlsInfo(null, null, null, false, false);

  /** Whether this port has a certificate (given or generated) and may serve {@code https}. */
  public boolean enabled() {
    return certFile != null || autoTls;
  }
}
