package io.kvorum.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import org.HdrHistogram.Histogram;

/**
 * The disk's durable-write latency, as a WAL sees it: append 4 KiB and {@code force(false)}
 * (fdatasync on Linux), many times, in the directory the clusters keep their data in. This bounds
 * every replicated write: a member answers a put only after such an fsync.
 */
final class FsyncProbe {

  private FsyncProbe() {}

  /** Runs at most {@code maxWrites} appends and stops after {@code maxMillis}, whichever first. */
  static LatencySummary measure(Path dir, int maxWrites, long maxMillis) throws IOException {
    Path file = Files.createTempFile(dir, "fsync-probe", ".bin");
    Histogram histogram = new Histogram(LatencyRecorders.SIGNIFICANT_DIGITS);
    histogram.setAutoResize(true);
    byte[] block = new byte[4096];
    ThreadLocalRandom.current().nextBytes(block);
    long started = System.nanoTime();
    long deadline = started + maxMillis * 1_000_000;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      for (int i = 0; i < maxWrites && System.nanoTime() < deadline; i++) {
        long t0 = System.nanoTime();
        ByteBuffer buffer = ByteBuffer.wrap(block);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(false);
        histogram.recordValue((System.nanoTime() - t0) / 1000);
      }
    } finally {
      Files.deleteIfExists(file);
    }
    return new LatencySummary(histogram, 0, (System.nanoTime() - started) / 1e9);
  }
}
