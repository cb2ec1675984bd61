package io.kvorum.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Kvorum members start the way its image starts them (node-image/Dockerfile): with the JVM's AOT
 * cache from a training run, {@code kvorum aot-training} under {@code -XX:AOTCacheOutput}. Each
 * build is trained once, before anything is measured, with the members' own JVM options (the
 * JVM ignores a cache made with other ones). A build without {@code aot-training} (one from
 * before it) runs without a cache, and the runner says so.
 */
final class AotCache {
  private static final long TRAINING_TIMEOUT_MINUTES = 5;

  private AotCache() {}

  /** {@code binary} with the cache it was trained into under {@code dir}, or as it was. */
  static ServerBinary prepare(ServerBinary binary, String label, Path dir) throws IOException, InterruptedException {
    if (!(binary instanceof ServerBinary.Kvorum kvorum)) {
      return binary;
    }
    Path cache = dir.resolve(label + ".aot");
    Path log = dir.resolve(label + "-aot-training.log");
    List<String> command = new ArrayList<>(withOption(kvorum, "-XX:AOTCacheOutput=" + cache).command());
    command.add("aot-training");
    long start = System.nanoTime();
    Process training = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = training.waitFor(TRAINING_TIMEOUT_MINUTES, TimeUnit.MINUTES);
    if (!ended) {
      training.destroyForcibly();
    }
    if (ended && training.exitValue() == 0 && Files.isRegularFile(cache) && Files.size(cache) > 0) {
      System.out.printf(Locale.ROOT, "%s: AOT cache trained in %.1f s (%d MiB)%n", label,
          (System.nanoTime() - start) / 1e9, Files.size(cache) >> 20);
      return withOption(kvorum, "-XX:AOTCache=" + cache);
    }
    String outcome = ended ? "exit " + training.exitValue() : "no end within " + TRAINING_TIMEOUT_MINUTES + " min";
    List<String> lines = Files.readAllLines(log);
    System.out.println(label + ": no AOT cache, members start without one (aot-training: " + outcome + "; "
        + (lines.isEmpty() ? "no output" : lines.get(lines.size() - 1)) + ")");
    return binary;
  }

  static ServerBinary.Kvorum withOption(ServerBinary.Kvorum kvorum, String option) {
    List<String> options = new ArrayList<>(kvorum.jvmOptions());
    options.add(option);
    return new ServerBinary.Kvorum(kvorum.java(), kvorum.jar(), options);
  }
}
