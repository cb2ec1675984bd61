package io.kvorum.server.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Runs the real etcdctl 3.4 (Debian {@code etcd-client}) with {@code ETCDCTL_API=3}. */
public final class Etcdctl {
  private static final long TIMEOUT_SECONDS = 60;

  private Etcdctl() {}

  /** What one etcdctl run printed, and how it exited. */
  public record Result(int exit, String out, String err) {
    public Result ok() {
      if (exit != 0) {
        throw new AssertionError("etcdctl exited " + exit + ": " + err + out);
      }
      return this;
    }
  }

  public static Result run(String endpoints, String... args) {
    return runWithInput(endpoints, null, args);
  }

  public static Result runWithInput(String endpoints, byte[] stdin, String... args) {
    Process process = start(endpoints, args);
    try {
      try (OutputStream in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
      // Read both pipes while waiting, so a chatty etcdctl never blocks on a full pipe.
      var out = readAsync(process.getInputStream());
      var err = readAsync(process.getErrorStream());
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(
            "etcdctl " + String.join(" ", args) + " did not finish within " + TIMEOUT_SECONDS + "s");
      }
      return new Result(process.exitValue(), out.get(), err.get());
    } catch (IOException | java.util.concurrent.ExecutionException e) {
      throw new AssertionError("running etcdctl failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** A long-running etcdctl (watch, lease keep-alive) whose output is read line by line. */
  public static Streaming spawn(String endpoints, String... args) {
    return new Streaming(start(endpoints, args));
  }

  private static Process start(String endpoints, String... args) {
    List<String> command = new ArrayList<>();
    command.add("etcdctl");
    command.add("--endpoints=" + endpoints);
    command.add("--dial-timeout=5s");
    command.add("--command-timeout=20s");
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("ETCDCTL_API", "3");
    try {
      return builder.start();
    } catch (IOException e) {
      throw new AssertionError(
          "cannot run etcdctl: install etcdctl 3.4 with apt-get install -y etcd-client", e);
    }
  }

  private static java.util.concurrent.CompletableFuture<String> readAsync(java.io.InputStream in) {
    return java.util.concurrent.CompletableFuture.supplyAsync(
        () -> {
          try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            return "<unreadable: " + e + ">";
          }
        });
  }

  /** An etcdctl process whose stdout lines arrive in a queue. Close kills it. */
  public static final class Streaming implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Streaming(Process process) {
      this.process = process;
      Thread.ofVirtual()
          .start(
              () -> {
                try (BufferedReader reader =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = reader.readLine()) != null; ) {
                    lines.add(line);
                  }
                } catch (IOException ignored) {
                  // process killed
                }
              });
    }

    /** The next {@code count} lines, failing after {@code seconds}. */
    public List<String> next(int count, long seconds) throws InterruptedException {
      List<String> got = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (got.size() < count) {
        String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new AssertionError(
              "expected " + count + " lines within " + seconds + "s, got " + got
                  + (process.isAlive() ? "" : "; etcdctl exited " + process.exitValue()));
        }
        got.add(line);
      }
      return got;
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
