package io.kvorum.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core must stay a pure state machine: no threads, no wall clock, no files, no network. A
 * source scan keeps it so; the caller provides all of those.
 */
class PurityTest {

  private static final List<Pattern> FORBIDDEN = List.of(
      Pattern.compile("\\bThread\\b"),
      Pattern.compile("\\bExecutors?\\b"),
      Pattern.compile("\\bExecutorService\\b"),
      Pattern.compile("\\bCompletableFuture\\b"),
      Pattern.compile("java\\.util\\.concurrent"),
      Pattern.compile("System\\.currentTimeMillis"),
      Pattern.compile("System\\.nanoTime"),
      Pattern.compile("Instant\\.now"),
      Pattern.compile("\\bClock\\b"),
      Pattern.compile("java\\.time"),
      Pattern.compile("java\\.io\\.File"),
      Pattern.compile("\\bFile(Input|Output)Stream\\b"),
      Pattern.compile("\\bRandomAccessFile\\b"),
      Pattern.compile("java\\.nio\\.file"),
      Pattern.compile("java\\.nio\\.channels"),
      Pattern.compile("java\\.net\\b"),
      Pattern.compile("Math\\.random"),
      Pattern.compile("new\\s+(java\\.util\\.)?Random\\s*\\(\\s*\\)"),
      Pattern.compile("ThreadLocalRandom"));

  @Test
  void mainSourcesUseNoThreadsClocksFilesOrNetwork() throws IOException {
    Path root = Path.of("src/main/java");
    assertThat(root).isDirectory();
    List<String> violations = new ArrayList<>();
    int files = 0;
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.filter(f -> f.toString().endsWith(".java")).toList()) {
        files++;
        List<String> lines = Files.readAllLines(p);
        for (int i = 0; i < lines.size(); i++) {
          String code = stripComment(lines.get(i));
          for (Pattern f : FORBIDDEN) {
            if (f.matcher(code).find()) {
              violations.add(p + ":" + (i + 1) + ": " + f.pattern() + ": " + lines.get(i).trim());
            }
          }
        }
      }
    }
    assertThat(files).isGreaterThan(10);
    assertThat(violations).isEmpty();
  }

  @Test
  void theScanRecognizesForbiddenCode() {
    String sample = "long t = System.currentTimeMillis(); new Thread(r).start();";
    long hits = FORBIDDEN.stream().filter(p -> p.matcher(sample).find()).count();
    assertThat(hits).isEqualTo(2);
  }

  /** Drops // comments and Javadoc/comment lines, which may name what the code must not use. */
  private static String stripComment(String line) {
    String t = line.trim();
    if (t.startsWith("*") || t.startsWith("/*") || t.startsWith("//")) {
      return "";
    }
    int i = line.indexOf("//");
    return i >= 0 ? line.substring(0, i) : line;
  }
}
