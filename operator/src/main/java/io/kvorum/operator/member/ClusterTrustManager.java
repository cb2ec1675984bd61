package io.kvorum.operator.member;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Trusts a member's server certificate when it chains to the cluster's CAs (PKIX) and names a
 * host under the cluster's peer domain ({@code demo-1.demo-peer.ns.svc}, or a wildcard
 * {@code *.demo-peer.ns.svc}, also with {@code .cluster.local}). The operator dials pod IPs,
 * which no certificate names, so this replaces the JDK's host name check; being an
 * {@link X509ExtendedTrustManager}, JSSE leaves the identity check to it. Never used for clients.
 */
final class ClusterTrustManager extends X509ExtendedTrustManager {

  private static final int DNS = 2;

  private final X509TrustManager pkix;
  private final String domain;

  ClusterTrustManager(List<X509Certificate> cas, String domain) throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException(e);
    }
    for (int i = 0; i < cas.size(); i++) {
      store.setCertificateEntry("ca-" + i, cas.get(i));
    }
    TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
    f.init(store);
    this.pkix = (X509TrustManager) f.getTrustManagers()[0];
    this.domain = domain;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix.checkServerTrusted(chain, authType);
    if (!namesAMember(chain[0])) {
      throw new CertificateException("server certificate " + chain[0].getSubjectX500Principal().getName()
          + " names no host under " + domain + ": not a member of this cluster");
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  private boolean namesAMember(X509Certificate leaf) throws CertificateParsingException {
    Collection<List<?>> names = leaf.getSubjectAlternativeNames();
    if (names == null) {
      return false;
    }
    for (List<?> n : names) {
      if (((Integer) n.get(0)) == DNS) {
        String dns = (String) n.get(1);
        if (dns.endsWith(domain) || dns.endsWith(domain + ".cluster.local")) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("the operator's trust manager checks servers only");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pkix.getAcceptedIssuers();
  }
}
