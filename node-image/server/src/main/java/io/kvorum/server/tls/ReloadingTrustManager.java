package io.kvorum.server.tls;

import io.kvorum.server.log.Log;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies the other side's certificate against the CA bundle of {@code --trusted-ca-file}
 * (or {@code --peer-trusted-ca-file}), read again when the file changes: a rotated CA applies
 * to the next handshake. Verification itself is the JDK's PKIX, including host name checks
 * when the dialing side asks for them (gRPC does).
 */
public final class ReloadingTrustManager extends X509ExtendedTrustManager {
  private static final Log LOG = Log.get(ReloadingTrustManager.class);

  private record Trust(X509ExtendedTrustManager pkix, X509Certificate[] issuers, String stamp) {}

  private final Path caFile;
  private volatile Trust current;
  private volatile String failedStamp = "";

  /** @throws IOException when the CA file cannot be read; the message names it */
  public ReloadingTrustManager(Path caFile) throws IOException {
    this.caFile = caFile;
    this.current = load(FileStamp.of(caFile));
  }

  private Trust fresh() {
    String stamp = FileStamp.of(caFile);
    Trust t = current;
    if (stamp.equals(t.stamp()) || stamp.equals(failedStamp)) {
      return t;
    }
    synchronized (this) {
      t = current;
      if (stamp.equals(t.stamp()) || stamp.equals(failedStamp)) {
        return t;
      }
      try {
        current = load(stamp);
        LOG.info("reloaded trusted CA file", "trusted-ca-file", caFile.toString(), "certificates", current.issuers().length);
        return current;
      } catch (IOException e) {
        failedStamp = stamp;
        LOG.warn("cannot reload trusted CA file; keeping the previous one", "trusted-ca-file", caFile.toString(), "error", e.getMessage());
        return t;
      }
    }
  }

  private Trust load(String stamp) throws IOException {
    List<X509Certificate> cas = PemFiles.readCertificates(caFile);
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      return new Trust(pkix(store), cas.toArray(X509Certificate[]::new), stamp);
    } catch (GeneralSecurityException e) {
      throw new IOException(caFile + ": cannot build a trust store: " + e.getMessage(), e);
    }
  }

  /** The JDK's PKIX trust manager for {@code store}; null means the JDK's default CAs. */
  static X509ExtendedTrustManager pkix(KeyStore store) throws GeneralSecurityException {
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    for (TrustManager tm : f.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("the JDK offers no X509ExtendedTrustManager");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    fresh().pkix().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    fresh().pkix().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    fresh().pkix().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    fresh().pkix().checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    fresh().pkix().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    fresh().pkix().checkServerTrusted(chain, authType, engine);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return fresh().issuers().clone();
  }
}
