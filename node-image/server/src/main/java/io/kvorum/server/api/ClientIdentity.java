package io.kvorum.server.api;

import io.grpc.Context;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Who a client is by its TLS certificate: the Common Name of the certificate it presented on
 * the client port, verified against {@code --trusted-ca-file} (only with {@code
 * --client-cert-auth}, as etcd: otherwise no certificate is asked for and there is no name).
 * With auth enabled etcd takes this name as the user; e.g. a certificate with subject {@code
 * O=system, CN=alice} makes the caller {@code alice}.
 *
 * <p>gRPC calls read it with {@link #commonName()} (the client port puts it into the call's
 * {@link Context}); HTTP handlers read it from their connection's TLS session with {@link
 * #commonName(SSLSession)}.
 */
public final class ClientIdentity {
  /** Set by the client port on every gRPC call over a verified mutual-TLS connection. */
  public static final Context.Key<String> COMMON_NAME = Context.key("kvorum-client-common-name");

  private ClientIdentity() {}

  /** The verified client certificate's CN of the current gRPC call, if any. */
  public static Optional<String> commonName() {
    return Optional.ofNullable(COMMON_NAME.get());
  }

  /** The CN of the peer's leaf certificate in {@code session}; empty without one (or without a CN). */
  public static Optional<String> commonName(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return Optional.empty();
    }
    RDN[] cns = X500Name.getInstance(leaf.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
    if (cns.length == 0) {
      return Optional.empty();
    }
    return Optional.of(IETFUtils.valueToString(cns[0].getFirst().getValue()));
  }
}
