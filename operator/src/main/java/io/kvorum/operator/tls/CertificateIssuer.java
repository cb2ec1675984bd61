package io.kvorum.operator.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues the certificates of spec.tls.mode=Generated: ECDSA P-256 keys, SHA-256 signatures
 * (what Go's crypto/tls, the JDK and Netty all accept), random 128-bit serials, backdated one
 * minute against clock skew between the operator and the nodes.
 *
 * <pre>
 *   CA      CN=kvorum-ca demo.ns, O=kvorum, CA:TRUE pathlen 0, keyCertSign|cRLSign
 *   member  CN=demo-1, serverAuth+clientAuth (one certificate for both ports),
 *           DNS demo-1.demo-peer.ns.svc[.cluster.local], demo-client[.ns.svc[.cluster.local]], localhost; IP 127.0.0.1, ::1
 *   client  CN=root, clientAuth (the operator; etcd maps the CN to a user when auth is on)
 * </pre>
 * A certificate never outlives its issuer: notAfter is capped at the CA's.
 */
public final class CertificateIssuer {

  static final Duration BACKDATE = Duration.ofMinutes(1);

  /** What a leaf certificate may be used for. */
  public enum Usage { MEMBER, CLIENT }

  private final SecureRandom random = new SecureRandom();

  public Issued newCa(String commonName, Instant now, Duration validity) {
    KeyPair keys = keyPair();
    X500Name subject = name(commonName);
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), from(now), Date.from(now.plus(validity)),
          subject, keys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      return new Issued(sign(b, keys.getPrivate()), keys.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot create the CA " + commonName + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param dnsNames subject alternative DNS names (empty for a client certificate)
   * @param ips      subject alternative IP addresses, literal
   */
  public Issued issue(Issued ca, String commonName, Usage usage, List<String> dnsNames, List<String> ips,
                      Instant now, Duration validity) {
    KeyPair keys = keyPair();
    Instant notAfter = now.plus(validity);
    if (notAfter.isAfter(ca.notAfter())) {
      notAfter = ca.notAfter();
    }
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(), from(now), Date.from(notAfter),
          name(commonName), keys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false, usage == Usage.MEMBER
          ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
          : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
      List<GeneralName> sans = new ArrayList<>();
      dnsNames.forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
      for (String ip : ips) {
        sans.add(new GeneralName(GeneralName.iPAddress, ip));
      }
      if (!sans.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      return new Issued(sign(b, ca.key()), keys.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("cannot issue " + commonName + ": " + e.getMessage(), e);
    }
  }

  private KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 key generator in this JVM", e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, java.security.PrivateKey key) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private BigInteger serial() {
    return new BigInteger(128, random);
  }

  private static Date from(Instant now) {
    return Date.from(now.minus(BACKDATE));
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "kvorum").addRDN(BCStyle.CN, commonName).build();
  }
}
