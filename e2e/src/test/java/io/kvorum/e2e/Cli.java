package io.kvorum.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the command-line tools a user runs (kubectl, helm, etcdctl, the e2e scripts) as child
 * processes, with the local cluster's KUBECONFIG and tool folder, and a hard time limit.
 *
 * <p>Output goes to temporary files rather than pipes, so a chatty command can never block on a
 * full pipe while we wait for it; a command past its limit is killed with its children.
 */
final class Cli {
  /** What a finished command left: its exit code and both streams. */
  record Result(List<String> command, int exitCode, String out, String err) {
    boolean ok() {
      return exitCode == 0;
    }

    /** The output, or an AssertionError that quotes the command and its error stream. */
    String orFail() {
      if (!ok()) {
        throw new AssertionError(String.join(" ", command) + " exited " + exitCode + ":\n" + err + out);
      }
      return out;
    }
  }

  private final Map<String, String> env;

  Cli(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  Result run(Duration timeout, List<String> command) {
    return run(timeout, command, null);
  }

  /** Runs {@code command}, feeding {@code stdin} when not null; exit code 124 means it timed out. */
  Result run(Duration timeout, List<String> command, String stdin) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("kvorum-e2e", ".out");
      err = Files.createTempFile("kvorum-e2e", ".err");
      ProcessBuilder pb = new ProcessBuilder(resolved(command)).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Path in = null;
      if (stdin != null) {
        in = Files.createTempFile("kvorum-e2e", ".in");
        Files.writeString(in, stdin);
        pb.redirectInput(in.toFile());
      }
      Process p = pb.start();
      boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      if (in != null) {
        Files.deleteIfExists(in);
      }
      String error = Files.readString(err, StandardCharsets.UTF_8);
      if (!done) {
        error = "timed out after " + timeout.toSeconds() + "s\n" + error;
      }
      return new Result(List.copyOf(command), done ? p.exitValue() : 124, Files.readString(out, StandardCharsets.UTF_8), error);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  /**
   * The command with its program looked up on this Cli's PATH. ProcessBuilder searches the
   * test JVM's own PATH, which may lack the cluster's tool folder or find another kubectl first.
   */
  private List<String> resolved(List<String> command) {
    String program = command.getFirst();
    if (program.contains("/") || !env.containsKey("PATH")) {
      return command;
    }
    for (String dir : env.get("PATH").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
      if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
        List<String> all = new ArrayList<>(command);
        all.set(0, candidate.toString());
        return all;
      }
    }
    return command;
  }

  static List<String> args(String first, String... rest) {
    List<String> all = new ArrayList<>(rest.length + 1);
    all.add(first);
    all.addAll(List.of(rest));
    return all;
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // a temp file left behind is harmless
      }
    }
  }
}
