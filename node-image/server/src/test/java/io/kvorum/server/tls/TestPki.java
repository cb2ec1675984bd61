package io.kvorum.server.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * Certificates for TLS tests, written as PEM files into a temp dir: a CA, leaves it issued for
 * 127.0.0.1/localhost, and a second, unrelated CA with its own leaves (the "wrong CA").
 *
 * <pre>{@code
 * TestPki pki = new TestPki(tempDir);
 * TestPki.Files server = pki.issue("member", "server");   // server.pem, server-key.pem
 * TestPki.Files alice = pki.issue("alice", "alice");       // a client certificate, CN alice
 * TestPki other = new TestPki(tempDir.resolve("other"));   // another CA
 * }</pre>
 */
public final class TestPki {
  private static final Duration VALIDITY = Duration.ofDays(1);
  private static final List<String> HOSTS = List.of("127.0.0.1", "localhost");

  /** A certificate's files. */
  public record Files(Path cert, Path key) {}

  public final Path dir;
  public final Path caFile;
  private final IssuedCertificate ca;

  public TestPki(Path dir) throws IOException {
    this.dir = dir;
    this.ca = IssuedCertificate.ca("kvorum test CA " + dir.getFileName(), VALIDITY);
    java.nio.file.Files.createDirectories(dir);
    this.caFile = dir.resolve("ca.pem");
    java.nio.file.Files.writeString(caFile, PemFiles.toPem(ca.certificate()));
  }

  /** Issues a leaf with {@code commonName} into {@code <prefix>.pem} and {@code <prefix>-key.pem}. */
  public Files issue(String commonName, String prefix) throws IOException {
    ca.issue(commonName, HOSTS, VALIDITY).write(dir, prefix);
    return new Files(IssuedCertificate.certFile(dir, prefix), IssuedCertificate.keyFile(dir, prefix));
  }

  /** Replaces {@code target}'s files with a fresh leaf ({@code commonName}), each file atomically. */
  public void reissueInPlace(String commonName, Files target) throws IOException {
    Files fresh = issue(commonName, "reissued-" + System.nanoTime());
    java.nio.file.Files.move(fresh.key(), target.key(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    java.nio.file.Files.move(fresh.cert(), target.cert(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A JDK SSLContext presenting {@code client} (may be null) and trusting {@code caFile}. */
  public static SSLContext sslContext(Path caFile, Files client) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(
        client == null ? null : new KeyManager[] {new ReloadingKeyManager(client.cert(), client.key())},
        new TrustManager[] {new ReloadingTrustManager(caFile)},
        null);
    return ctx;
  }
}
