package io.kvorum.server.tls;

import io.kvorum.server.log.Log;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The certificate and key of one port, read again from disk when the files change, so a
 * renewed certificate is used by the next handshake without a restart (etcd re-reads its files
 * on each handshake too).
 *
 * <p>Every handshake compares the files' {@link FileStamp}; when it changed the pair is read and
 * checked (the key must match the certificate) before it replaces the current one. A pair that
 * does not load, e.g. the certificate was replaced and the key not yet, leaves the previous pair
 * in use and is tried again once the files change again. Aliases are {@code kvorum-<n>}, one per
 * loaded pair; the previous pair stays resolvable so a handshake that chose its alias just
 * before a reload still finds its key.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Log LOG = Log.get(ReloadingKeyManager.class);

  private record Material(String alias, X509Certificate[] chain, PrivateKey key, String stamp) {}

  private final Path certFile;
  private final Path keyFile;
  private volatile Material current;
  private volatile Material previous;
  private volatile String failedStamp = "";
  private int generation;

  /**
   * @throws IOException when the files cannot be read, or the key does not match the
   *     certificate; the message names the file
   */
  public ReloadingKeyManager(Path certFile, Path keyFile) throws IOException {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.current = load(FileStamp.of(certFile, keyFile));
    this.previous = current;
  }

  private Material fresh() {
    String stamp = FileStamp.of(certFile, keyFile);
    Material m = current;
    if (stamp.equals(m.stamp()) || stamp.equals(failedStamp)) {
      return m;
    }
    synchronized (this) {
      m = current;
      if (stamp.equals(m.stamp()) || stamp.equals(failedStamp)) {
        return m;
      }
      try {
        Material next = load(stamp);
        previous = m;
        current = next;
        LOG.info(
            "reloaded TLS certificate",
            "cert-file", certFile.toString(),
            "subject", next.chain()[0].getSubjectX500Principal().getName(),
            "not-after", next.chain()[0].getNotAfter().toInstant().toString());
        return next;
      } catch (IOException e) {
        failedStamp = stamp;
        LOG.warn("cannot reload TLS certificate; keeping the previous one", "cert-file", certFile.toString(), "error", e.getMessage());
        return m;
      }
    }
  }

  private synchronized Material load(String stamp) throws IOException {
    List<X509Certificate> chain = PemFiles.readCertificates(certFile);
    PrivateKey key = PemFiles.readPrivateKey(keyFile);
    if (!matches(key, chain.get(0).getPublicKey())) {
      throw new IOException(keyFile + " is not the private key of the certificate in " + certFile);
    }
    return new Material("kvorum-" + (++generation), chain.toArray(X509Certificate[]::new), key, stamp);
  }

  /** Signs a probe with the key and verifies it with the certificate's public key. */
  private static boolean matches(PrivateKey key, PublicKey pub) throws IOException {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          default -> key.getAlgorithm();
        };
    try {
      byte[] probe = "kvorum key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(pub);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot check the key in the certificate's algorithm " + algorithm + ": " + e.getMessage(), e);
    }
  }

  /** Our alias when the key fits {@code keyType}: {@code "EC"}, {@code "RSA"}, or TLS 1.2's {@code "EC_RSA"} forms. */
  private String aliasFor(String... keyTypes) {
    Material m = fresh();
    String algorithm = m.key().getAlgorithm();
    for (String type : keyTypes) {
      if (type != null && (type.equals(algorithm) || type.startsWith(algorithm + "_"))) {
        return m.alias();
      }
    }
    return null;
  }

  private Material byAlias(String alias) {
    Material m = current;
    if (m.alias().equals(alias)) {
      return m;
    }
    Material p = previous;
    return p.alias().equals(alias) ? p : null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    String a = aliasFor(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return getClientAliases(keyType, issuers);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Material m = byAlias(alias);
    return m == null ? null : m.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Material m = byAlias(alias);
    return m == null ? null : m.key();
  }
}
