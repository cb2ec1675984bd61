package io.kvorum.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTest {

  @Test
  void lineIsZapShapedJson() {
    String line =
        Log.format(
            Log.Level.INFO,
            1526587281.2010646,
            "membership/RaftCluster.java:88",
            "updated cluster version",
            new Object[] {"from", "1.0", "to", "1.1", "took", Duration.ofMillis(100), "ids", List.of("a", "b"), "n", 3});
    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
    assertThat(o.get("level").getAsString()).isEqualTo("info");
    assertThat(o.get("ts").getAsDouble()).isBetween(1526587281.2, 1526587281.3);
    assertThat(o.get("caller").getAsString()).isEqualTo("membership/RaftCluster.java:88");
    assertThat(o.get("msg").getAsString()).isEqualTo("updated cluster version");
    assertThat(o.get("from").getAsString()).isEqualTo("1.0");
    assertThat(o.get("to").getAsString()).isEqualTo("1.1");
    assertThat(o.get("took").getAsDouble()).isEqualTo(0.1);
    assertThat(o.get("ids").getAsJsonArray()).hasSize(2);
    assertThat(o.get("n").getAsInt()).isEqualTo(3);
    assertThat(line).startsWith("{\"level\":\"info\",\"ts\":");
  }

  @Test
  void escapesQuotesAndNewlines() {
    String line =
        Log.format(Log.Level.WARN, 1.0, "c", "say \"hi\"\nnow", new Object[] {"error", new IllegalStateException("bad\\path")});
    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
    assertThat(o.get("msg").getAsString()).isEqualTo("say \"hi\"\nnow");
    assertThat(o.get("error").getAsString()).isEqualTo("bad\\path");
    assertThat(line).doesNotContain("\n");
  }

  @Test
  void writesToFileOutputsWithTheCallerAndLevelFilter(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("logs/a.log");
    Log.configure("info", List.of(file.toString()));
    try {
      Log log = Log.get(LogTest.class);
      log.debug("hidden");
      log.info("shown", "k", "v");
      List<String> lines = Files.readAllLines(file);
      assertThat(lines).hasSize(1);
      JsonObject o = JsonParser.parseString(lines.get(0)).getAsJsonObject();
      assertThat(o.get("caller").getAsString()).startsWith("log/LogTest.java:");
      assertThat(o.get("k").getAsString()).isEqualTo("v");
    } finally {
      Log.configure("info", List.of("stderr"));
    }
  }
}
