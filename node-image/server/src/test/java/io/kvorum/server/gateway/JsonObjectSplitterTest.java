package io.kvorum.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonObjectSplitterTest {
  @Test
  void splitsConcatenatedObjectsWhateverTheChunking() {
    String stream = " {\"a\":\"}{\\\"\"}\n{\"b\":{\"c\":[1,{}]}} ";
    for (int chunk = 1; chunk <= stream.length(); chunk++) {
      List<String> objects = new ArrayList<>();
      JsonObjectSplitter splitter = new JsonObjectSplitter(1024, objects::add);
      byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < bytes.length; i += chunk) {
        byte[] part = new byte[Math.min(chunk, bytes.length - i)];
        System.arraycopy(bytes, i, part, 0, part.length);
        splitter.feed(part);
      }
      assertThat(objects).containsExactly("{\"a\":\"}{\\\"\"}", "{\"b\":{\"c\":[1,{}]}}");
      assertThat(splitter.atBoundary()).isTrue();
    }
  }

  @Test
  void somethingOtherThanAnObjectBetweenObjectsIsAnError() {
    JsonObjectSplitter splitter = new JsonObjectSplitter(1024, o -> {});
    assertThatThrownBy(() -> splitter.feed("{} [1]".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("expected a JSON object ('{')")
        .hasMessageContaining("found '['");
  }

  @Test
  void anObjectLargerThanTheLimitIsAnError() {
    JsonObjectSplitter splitter = new JsonObjectSplitter(8, o -> {});
    assertThatThrownBy(() -> splitter.feed("{\"key\":\"long\"}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("larger than 8 bytes");
  }
}
