package io.kvorum.operator.member;

/**
 * How the operator talks TLS to the members of one cluster: its client certificate and key,
 * the CAs it trusts, and the DNS domain a member's certificate must name. The operator reaches
 * members at their pod IPs, which no certificate names; it accepts a server certificate that
 * chains to {@code trustedCas} and names a host under {@code serverDomain}
 * ({@code .demo-peer.ns.svc}), i.e. some member of this cluster.
 *
 * @param certificateChain PEM, the client certificate first
 * @param privateKey       PEM (PKCS#8, PKCS#1 or SEC 1)
 * @param trustedCas       PEM bundle
 */
public record ClientTls(String certificateChain, String privateKey, String trustedCas, String serverDomain) {

  @Override
  public String toString() {
    return "ClientTls[" + serverDomain + "]"; // never the key
  }
}
