package io.kvorum.server.auth;

import io.grpc.Status;
import io.kvorum.server.api.EtcdException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * bcrypt, as etcd hashes user passwords ({@code golang.org/x/crypto/bcrypt}, {@code
 * --bcrypt-cost}, default 10), with Bouncy Castle's OpenBSD-compatible implementation. Hashes
 * are the usual {@code $2a$<cost>$<salt+hash>} strings, so a hash etcd wrote verifies here and
 * back.
 *
 * <p>Slow on purpose (cost 10 ≈ 50-100 ms of one core): call it off the event loop. Passwords
 * never leave this class other than as a hash, and are never logged.
 */
public final class PasswordHasher {
  public static final int MIN_COST = 4;
  public static final int MAX_COST = 31;
  public static final int DEFAULT_COST = 10;
  /** bcrypt reads at most 72 bytes; longer passwords are refused rather than silently cut. */
  static final int MAX_PASSWORD_BYTES = 72;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final int cost;

  public PasswordHasher(int cost) {
    if (cost < MIN_COST || cost > MAX_COST) {
      throw new IllegalArgumentException(
          "--bcrypt-cost must be between " + MIN_COST + " and " + MAX_COST + ", got " + cost);
    }
    this.cost = cost;
  }

  public int cost() {
    return cost;
  }

  /** A new salted hash of {@code password}. */
  public byte[] hash(String password) {
    checkLength(password);
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return OpenBSDBCrypt.generate("2a", password.toCharArray(), salt, cost)
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** Whether {@code password} matches {@code hash}; false for a malformed or empty hash. */
  public static boolean matches(byte[] hash, String password) {
    if (hash.length == 0 || password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
      return false;
    }
    try {
      return OpenBSDBCrypt.checkPassword(new String(hash, StandardCharsets.US_ASCII), password.toCharArray());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static void checkLength(String password) {
    if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
      throw new EtcdException(
          Status.Code.INVALID_ARGUMENT,
          "kvorum: password is longer than " + MAX_PASSWORD_BYTES + " bytes, which bcrypt cannot hash; choose a shorter one");
    }
  }
}
