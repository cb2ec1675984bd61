package io.kvorum.operator.member;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvorum.operator.tls.CertificateIssuer;
import io.kvorum.operator.tls.CertificateIssuer.Usage;
import io.kvorum.operator.tls.Issued;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operator accepts a server certificate of its cluster's CA that names one of the cluster's members, nothing else. */
class ClusterTrustManagerTest {

  final CertificateIssuer issuer = new CertificateIssuer();
  final Instant now = Instant.now();
  final Issued ca = issuer.newCa("ca", now, Duration.ofDays(1));
  final Issued next = issuer.newCa("next", now, Duration.ofDays(1));

  X509Certificate[] member(Issued by, String... dns) {
    return new X509Certificate[] {issuer.issue(by, "m", Usage.MEMBER, List.of(dns), List.of(), now, Duration.ofHours(1)).certificate()};
  }

  @Test
  void acceptsAMemberOfTheClusterFromAnyCaOfTheBundle() throws Exception {
    ClusterTrustManager trust = new ClusterTrustManager(List.of(ca.certificate(), next.certificate()), ".demo-peer.ns.svc");
    assertThatCode(() -> trust.checkServerTrusted(member(ca, "demo-0.demo-peer.ns.svc"), "ECDHE_ECDSA")).doesNotThrowAnyException();
    assertThatCode(() -> trust.checkServerTrusted(member(next, "x", "demo-2.demo-peer.ns.svc.cluster.local"), "ECDHE_ECDSA"))
        .doesNotThrowAnyException();
    assertThatCode(() -> trust.checkServerTrusted(member(ca, "*.demo-peer.ns.svc"), "ECDHE_ECDSA"))
        .as("cert-manager wildcard").doesNotThrowAnyException();
  }

  @Test
  void refusesAnotherClustersNameOrAnotherCa() throws Exception {
    ClusterTrustManager trust = new ClusterTrustManager(List.of(ca.certificate()), ".demo-peer.ns.svc");
    assertThatThrownBy(() -> trust.checkServerTrusted(member(ca, "other-0.other-peer.ns.svc"), "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class).hasMessageContaining("not a member of this cluster");
    assertThatThrownBy(() -> trust.checkServerTrusted(member(next, "demo-0.demo-peer.ns.svc"), "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
    assertThatThrownBy(() -> trust.checkServerTrusted(member(ca, "demo-0.demo-peer.ns.svc.evil.example"), "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
  }
}
