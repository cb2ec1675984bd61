package io.kvorum.server.tls;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts any server certificate: what etcd's {@code --auto-tls}/{@code --peer-auto-tls} do
 * when dialing (Go's {@code InsecureSkipVerify}), since self-signed certificates of other
 * members cannot be verified. Traffic is encrypted but the other side is not authenticated;
 * the README says so. Never used where a CA file is given.
 */
final class UnverifiedTrustManager extends X509ExtendedTrustManager {
  static final UnverifiedTrustManager INSTANCE = new UnverifiedTrustManager();

  private UnverifiedTrustManager() {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) {}

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
