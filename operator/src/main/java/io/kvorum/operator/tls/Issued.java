package io.kvorum.operator.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** A certificate and its private key. */
public record Issued(X509Certificate certificate, PrivateKey key) {

  public String certificatePem() {
    return Pem.certificates(List.of(certificate));
  }

  public String keyPem() {
    return Pem.privateKey(key);
  }

  public Instant notAfter() {
    return certificate.getNotAfter().toInstant();
  }

  /** Within {@code renewBefore} of its expiry (or past it) at {@code now}. */
  public boolean due(Instant now, Duration renewBefore) {
    return dueAt(certificate, now, renewBefore);
  }

  static boolean dueAt(X509Certificate certificate, Instant now, Duration renewBefore) {
    return !now.isBefore(certificate.getNotAfter().toInstant().minus(renewBefore));
  }
}
