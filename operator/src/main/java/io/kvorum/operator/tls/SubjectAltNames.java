package io.kvorum.operator.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;

/** The subject alternative names of a certificate, by kind (RFC 5280 GeneralName tags). */
public final class SubjectAltNames {

  private static final int DNS = 2;
  private static final int IP = 7;

  private SubjectAltNames() {
  }

  public static List<String> dnsNames(X509Certificate c) {
    return of(c, DNS);
  }

  public static List<String> ips(X509Certificate c) {
    return of(c, IP);
  }

  private static List<String> of(X509Certificate c, int kind) {
    try {
      Collection<List<?>> all = c.getSubjectAlternativeNames();
      return all == null ? List.of() : all.stream()
          .filter(n -> ((Integer) n.get(0)) == kind)
          .map(n -> (String) n.get(1)).toList();
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }
}
