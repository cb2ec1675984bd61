package io.kvorum.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/**
 * Reads and writes the PEM files etcd uses: certificate bundles (leaf first) and unencrypted
 * private keys in any of the three usual encodings ({@code BEGIN PRIVATE KEY}, {@code BEGIN RSA
 * PRIVATE KEY}, {@code BEGIN EC PRIVATE KEY}), as {@code openssl}, cfssl and cert-manager write
 * them.
 */
public final class PemFiles {
  private PemFiles() {}

  /** Every certificate in {@code file}, in file order. */
  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      List<X509Certificate> out = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new IOException(file + " holds no PEM certificate");
      }
      return out;
    } catch (CertificateException e) {
      throw new IOException(file + " is not a PEM certificate file: " + e.getMessage(), e);
    }
  }

  /** The first private key in {@code file}; encrypted keys are refused (etcd cannot read them either). */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file); PEMParser parser = new PEMParser(r)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
      }
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a PEM private key: " + e.getMessage(), e);
    }
    throw new IOException(file + " holds no unencrypted PEM private key");
  }

  /** PEM text of certificates or keys, one block each. */
  public static String toPem(Object... objects) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        pem.writeObject(o);
      }
    }
    return out.toString();
  }

  /** PKCS#8 PEM ({@code BEGIN PRIVATE KEY}) of {@code key}, the encoding every TLS stack reads. */
  public static String privateKeyPem(PrivateKey key) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /**
   * Writes {@code pem} to {@code file} readable by its owner only, atomically (a reader sees the
   * old or the new file, never half of one).
   */
  public static void writePrivate(Path file, String pem) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.writeString(tmp, pem);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
