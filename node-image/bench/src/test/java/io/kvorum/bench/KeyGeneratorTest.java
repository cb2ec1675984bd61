package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyGeneratorTest {

  @Test
  void keysHaveTheExactSizeAndEncodeTheirNumber() {
    KeyGenerator keys = new KeyGenerator("", 8, 100_000, true);

    assertThat(keys.key(42).toString(StandardCharsets.US_ASCII)).isEqualTo("00000042");
    assertThat(new KeyGenerator("cas/", 256, 64, true).key(7).size()).isEqualTo(256);
    assertThat(new KeyGenerator("cas/", 256, 64, true).key(7).toString(StandardCharsets.US_ASCII))
        .startsWith("cas/000").endsWith("0007");
  }

  @Test
  void sequentialKeysWrapAtTheKeySpace() {
    KeyGenerator keys = new KeyGenerator("k", 4, 3, true);

    assertThat(new String[] {text(keys), text(keys), text(keys), text(keys)})
        .containsExactly("k000", "k001", "k002", "k000");
  }

  @Test
  void randomKeysStayInsideTheKeySpace() {
    KeyGenerator keys = new KeyGenerator("", 8, 5, false);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      seen.add(text(keys));
    }

    assertThat(seen).isSubsetOf("00000000", "00000001", "00000002", "00000003", "00000004")
        .hasSizeGreaterThan(1);
  }

  @Test
  void refusesAKeySizeTooSmallForTheKeySpace() {
    assertThatThrownBy(() -> new KeyGenerator("prefix/", 8, 1_000, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("key size 8 cannot hold prefix 'prefix/' and 1000 distinct keys");
  }

  private static String text(KeyGenerator keys) {
    return keys.next().toString(StandardCharsets.US_ASCII);
  }
}
