package io.kvorum.operator.member;

import io.grpc.netty.GrpcSslContexts;
import io.kvorum.operator.tls.Pem;
import io.netty.handler.ssl.SslContext;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** The JDK and Netty TLS contexts of one {@link ClientTls}: its key as the client identity, {@link ClusterTrustManager} for servers. */
final class TlsContexts {

  final SSLContext jdk;
  final SslContext netty;

  TlsContexts(ClientTls tls) {
    try {
      List<X509Certificate> chain = Pem.readCertificates(tls.certificateChain());
      PrivateKey key = Pem.readPrivateKey(tls.privateKey());
      ClusterTrustManager trust = new ClusterTrustManager(Pem.readCertificates(tls.trustedCas()), tls.serverDomain());
      KeyStore identity = KeyStore.getInstance("PKCS12");
      identity.load(null, null);
      identity.setKeyEntry("client", key, new char[0], chain.toArray(X509Certificate[]::new));
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(identity, new char[0]);
      this.jdk = SSLContext.getInstance("TLS");
      jdk.init(keys.getKeyManagers(), new javax.net.ssl.TrustManager[] {trust}, null);
      this.netty = GrpcSslContexts.forClient().keyManager(key, chain.toArray(X509Certificate[]::new)).trustManager(trust).build();
    } catch (GeneralSecurityException | java.io.IOException | IllegalArgumentException e) {
      throw new MemberException("the operator's TLS credentials for " + tls.serverDomain() + " are unusable: " + e.getMessage(), e);
    }
  }
}
