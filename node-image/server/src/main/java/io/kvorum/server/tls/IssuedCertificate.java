package io.kvorum.server.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * An ECDSA P-256 key and its X.509 certificate, either self-signed or issued by another {@code
 * IssuedCertificate} acting as CA. {@code --auto-tls} uses {@link #selfSigned}; tests build a
 * CA and member certificates with {@link #ca} and {@link #issue}.
 *
 * <p>Leaf certificates carry both server and client authentication usages, so one certificate
 * serves a port and dials other members (etcd's peer certificates work the same way). Hosts
 * that parse as IP literals become IP SANs, the others DNS SANs: {@code ["127.0.0.1",
 * "localhost"]} gives {@code IP:127.0.0.1, DNS:localhost}.
 */
public record IssuedCertificate(KeyPair keyPair, X509Certificate certificate) {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A CA certificate that can {@link #issue} others. */
  public static IssuedCertificate ca(String commonName, Duration validity) {
    KeyPair keys = newKeyPair();
    X500Name name = name(commonName);
    try {
      return sign(
          builder(name, name, keys, validity)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)),
          keys,
          keys);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode certificate extensions", e);
    }
  }

  /** A self-signed leaf for {@code hosts}, as etcd's {@code --auto-tls} makes. */
  public static IssuedCertificate selfSigned(String commonName, List<String> hosts, Duration validity) {
    KeyPair keys = newKeyPair();
    X500Name name = name(commonName);
    return sign(leaf(builder(name, name, keys, validity), hosts), keys, keys);
  }

  /** A leaf for {@code hosts} signed by this CA; {@code commonName} is what CN-based auth reads. */
  public IssuedCertificate issue(String commonName, List<String> hosts, Duration validity) {
    KeyPair keys = newKeyPair();
    X500Name issuer = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    return sign(leaf(builder(issuer, name(commonName), keys, validity), hosts), keys, keyPair);
  }

  /** Writes {@code <prefix>.pem} (certificate) and {@code <prefix>-key.pem} (key, owner-only). */
  public void write(Path dir, String prefix) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(certFile(dir, prefix), PemFiles.toPem(certificate));
    PemFiles.writePrivate(keyFile(dir, prefix), PemFiles.privateKeyPem(keyPair.getPrivate()));
  }

  public static Path certFile(Path dir, String prefix) {
    return dir.resolve(prefix + ".pem");
  }

  public static Path keyFile(Path dir, String prefix) {
    return dir.resolve(prefix + "-key.pem");
  }

  private static X509v3CertificateBuilder leaf(X509v3CertificateBuilder b, List<String> hosts) {
    List<GeneralName> names = new ArrayList<>();
    for (String host : hosts) {
      names.add(isIpLiteral(host) ? new GeneralName(GeneralName.iPAddress, host) : new GeneralName(GeneralName.dNSName, host));
    }
    try {
      if (!names.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      return b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
          .addExtension(
              Extension.extendedKeyUsage,
              false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode certificate extensions", e);
    }
  }

  private static boolean isIpLiteral(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Duration validity) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(127, RANDOM),
        Date.from(now.minus(Duration.ofMinutes(5))),
        Date.from(now.plus(validity)),
        subject,
        keys.getPublic());
  }

  private static IssuedCertificate sign(X509v3CertificateBuilder b, KeyPair subject, KeyPair signer) {
    try {
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
      return new IssuedCertificate(subject, cert);
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a certificate: " + e.getMessage(), e);
    }
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "kvorum").addRDN(BCStyle.CN, commonName).build();
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make EC P-256 keys", e);
    }
  }
}
