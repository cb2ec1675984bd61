package io.kvorum.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShutdownTest {
  private final List<String> closed = new ArrayList<>();

  private AutoCloseable part(String name) {
    return () -> closed.add(name);
  }

  @Test
  void closesThePartsInOrder() {
    boolean clean = new Shutdown().then("client port", part("client port")).then("member", part("member")).closeAll();

    assertThat(clean).isTrue();
    assertThat(closed).containsExactly("client port", "member");
  }

  @Test
  void aFailingPartDoesNotKeepTheOthersOpen() {
    AutoCloseable failing = () -> {
      throw new IllegalStateException("backend directory is gone");
    };

    boolean clean = new Shutdown().then("client port", failing).then("auth", part("auth")).then("member", part("member")).closeAll();

    assertThat(clean).as("the member exits with status 1").isFalse();
    assertThat(closed).containsExactly("auth", "member");
  }
}
