package io.kvorum.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvorum.server.api.EtcdException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {
  private final PasswordHasher hasher = new PasswordHasher(PasswordHasher.MIN_COST);

  @Test
  void hashIsSaltedBcryptAndVerifies() {
    byte[] h1 = hasher.hash("s3cret");
    byte[] h2 = hasher.hash("s3cret");
    String text = new String(h1, StandardCharsets.US_ASCII);
    assertThat(text).startsWith("$2a$04$").hasSize(60).doesNotContain("s3cret");
    assertThat(h1).isNotEqualTo(h2);
    assertThat(PasswordHasher.matches(h1, "s3cret")).isTrue();
    assertThat(PasswordHasher.matches(h2, "s3cret")).isTrue();
    assertThat(PasswordHasher.matches(h1, "s3cret ")).isFalse();
    assertThat(PasswordHasher.matches(h1, "")).isFalse();
  }

  @Test
  void verifiesHashesWrittenByEtcd() {
    // Read from etcd 3.4.23's bolt database after `user add root:pw` and `user add u1:p1`
    // (golang.org/x/crypto/bcrypt, cost 10); which is which is not recorded in the file.
    byte[] a = "$2a$10$1tPEZp5lW2FeTrSHSm8.C.h7X5wfP6WK5ziXTE/Nu7lGo37iykuYa".getBytes(StandardCharsets.US_ASCII);
    byte[] b = "$2a$10$93hgNhQuIHBgB.5PlJWSee2zpYvF0jPFupnZdNAX.oG5PJdU3HdkG".getBytes(StandardCharsets.US_ASCII);
    boolean aIsRoot = PasswordHasher.matches(a, "pw");
    assertThat(aIsRoot ? PasswordHasher.matches(b, "p1") : PasswordHasher.matches(a, "p1") && PasswordHasher.matches(b, "pw"))
        .isTrue();
    assertThat(PasswordHasher.matches(a, "wrong")).isFalse();
  }

  @Test
  void refusesWhatBcryptCannotHash() {
    assertThatThrownBy(() -> hasher.hash("x".repeat(73)))
        .isInstanceOf(EtcdException.class)
        .hasMessageContaining("72 bytes");
    assertThat(PasswordHasher.matches(new byte[0], "pw")).isFalse();
    assertThat(PasswordHasher.matches("garbage".getBytes(StandardCharsets.US_ASCII), "pw")).isFalse();
    assertThatThrownBy(() -> new PasswordHasher(3)).hasMessageContaining("--bcrypt-cost");
    assertThatThrownBy(() -> new PasswordHasher(32)).hasMessageContaining("--bcrypt-cost");
  }
}
