package io.kvorum.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.tls.CertificateIssuer.Usage;
import java.io.StringWriter;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;

class CertificateIssuerTest {

  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  final CertificateIssuer issuer = new CertificateIssuer();

  static KVCluster demo() {
    KVCluster kvc = new KVCluster();
    kvc.setMetadata(new ObjectMetaBuilder().withName("demo").withNamespace("prod").build());
    return kvc;
  }

  /** PKIX path validation at {@code at}, the CA as the only trust anchor. */
  static void validate(X509Certificate leaf, X509Certificate ca, Instant at) throws Exception {
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
  }

  @Test
  void memberCertificateNamesTheStableDnsNamesAndLoopbackAndChainsToTheCa() throws Exception {
    Issued ca = issuer.newCa("kvorum-ca demo.prod", NOW, Duration.ofDays(3650));
    Issued member = issuer.issue(ca, "demo-1", Usage.MEMBER, MemberIdentity.dnsNames(demo(), 1), MemberIdentity.LOOPBACK_IPS,
        NOW, Duration.ofDays(90));
    X509Certificate c = member.certificate();

    assertThat(SubjectAltNames.dnsNames(c)).containsExactly(
        "demo-1.demo-peer.prod.svc", "demo-1.demo-peer.prod.svc.cluster.local",
        "demo-client", "demo-client.prod.svc", "demo-client.prod.svc.cluster.local", "localhost");
    assertThat(SubjectAltNames.ips(c)).containsExactly("127.0.0.1", "0:0:0:0:0:0:0:1");
    assertThat(c.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(c.getBasicConstraints()).isEqualTo(-1);
    assertThat(c.getSubjectX500Principal().getName()).contains("CN=demo-1");
    assertThat(c.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(90)));
    assertThat(c.getNotBefore().toInstant()).isEqualTo(NOW.minus(CertificateIssuer.BACKDATE));
    validate(c, ca.certificate(), NOW);
    assertThat(ca.certificate().getBasicConstraints()).isEqualTo(0);
  }

  @Test
  void expiredOrForeignCertificatesDoNotValidate() {
    Issued ca = issuer.newCa("ca", NOW, Duration.ofDays(3650));
    Issued other = issuer.newCa("other", NOW, Duration.ofDays(3650));
    Issued member = issuer.issue(ca, "demo-0", Usage.MEMBER, List.of("a"), List.of(), NOW, Duration.ofHours(1));
    assertThatThrownBy(() -> validate(member.certificate(), ca.certificate(), NOW.plus(Duration.ofHours(2))))
        .isInstanceOf(CertPathValidatorException.class);
    assertThatThrownBy(() -> validate(member.certificate(), other.certificate(), NOW))
        .isInstanceOf(CertPathValidatorException.class);
    assertThat(Pem.signedBy(member.certificate(), ca.certificate())).isTrue();
    assertThat(Pem.signedBy(member.certificate(), other.certificate())).isFalse();
  }

  @Test
  void aCertificateNeverOutlivesItsCa() {
    Issued ca = issuer.newCa("ca", NOW, Duration.ofDays(10));
    Issued member = issuer.issue(ca, "demo-0", Usage.MEMBER, List.of("a"), List.of(), NOW, Duration.ofDays(90));
    assertThat(member.notAfter()).isEqualTo(ca.notAfter());
  }

  @Test
  void clientCertificateIsForClientAuthOnlyAndNamesNoHost() throws Exception {
    Issued ca = issuer.newCa("ca", NOW, Duration.ofDays(3650));
    Issued client = issuer.issue(ca, "root", Usage.CLIENT, List.of(), List.of(), NOW, Duration.ofDays(90));
    assertThat(client.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(client.certificate().getSubjectAlternativeNames()).isNull();
    validate(client.certificate(), ca.certificate(), NOW);
  }

  @Test
  void pemRoundTripsAndReadsCertManagersPkcs1Keys() throws Exception {
    Issued ca = issuer.newCa("ca", NOW, Duration.ofDays(1));
    assertThat(ca.keyPem()).startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(Pem.readPrivateKey(ca.keyPem())).isEqualTo(ca.key());
    assertThat(Pem.readCertificates(ca.certificatePem() + ca.certificatePem())).containsExactly(ca.certificate(), ca.certificate());

    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    var pair = rsa.generateKeyPair();
    StringWriter pkcs1 = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(pkcs1)) {
      w.writeObject(pair.getPrivate());
    }
    assertThat(pkcs1.toString()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(Pem.readPrivateKey(pkcs1.toString()).getEncoded()).isEqualTo(pair.getPrivate().getEncoded());
    assertThatThrownBy(() -> Pem.readPrivateKey("garbage")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no PEM private key");
  }
}
