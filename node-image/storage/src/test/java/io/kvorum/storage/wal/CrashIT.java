package io.kvorum.storage.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.raft.pb.Entry;
import io.kvorum.storage.failpoint.Failpoints;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writing child JVM ({@link CrashWorker}) with SIGKILL at random points, sometimes
 * leaving a torn record at the WAL's end as a crash mid-write would, and restarts it: every
 * index acknowledged as fsynced must be recovered, the torn tail repaired, and the store must
 * hold every entry applied exactly once (the child checks key versions on each start).
 */
class CrashIT {
  private static final int ROUNDS = 10;

  @TempDir
  Path dir;

  @Test
  void acknowledgedWritesSurviveSigkill() throws Exception {
    Random rnd = new Random(20261122L);
    long acked = 0;
    boolean torn = false;
    for (int round = 0; round < ROUNDS; round++) {
      Run run = start(Long.MAX_VALUE, round);
      assertThat(run.awaitRecovered()).as("round %d recovered", round).isGreaterThanOrEqualTo(acked);
      if (torn) {
        assertThat(run.repairedTail.get()).as("round %d repaired the torn tail", round).isPositive();
      }
      Thread.sleep(100 + rnd.nextInt(400));
      run.process.destroyForcibly();
      assertThat(run.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      run.reader.join(10_000);
      assertThat(run.failure()).as("round %d", round).isNull();
      acked = Math.max(acked, run.acked.get());
      torn = round % 3 == 1;
      if (torn) {
        appendTornRecord(rnd);
      }
    }
    Run last = start(acked + 50, ROUNDS);
    assertThat(last.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    last.reader.join(10_000);
    assertThat(last.failure()).isNull();
    assertThat(last.process.exitValue()).as(last.output.toString()).isZero();
    assertThat(last.recovered.get()).isGreaterThanOrEqualTo(acked);
    assertThat(last.output.toString()).contains("done ");
    assertThat(acked).as("the children got some work done").isGreaterThan(100);
  }

  /**
   * {@code wal.afterFsync=panic} halts the child right after its first WAL fsync, before it
   * could acknowledge anything: the record that fsync covered must be there after a restart,
   * and applied exactly once (the child checks).
   */
  @Test
  void panicRightAfterFsyncKeepsTheFsyncedRecord() throws Exception {
    Run crashed = start(Long.MAX_VALUE, 1, "wal.afterFsync=panic");
    assertThat(crashed.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    crashed.reader.join(10_000);
    assertThat(crashed.process.exitValue()).as(crashed.output.toString()).isEqualTo(2);
    assertThat(crashed.output.toString())
        .contains("failpoints enabled by KVORUM_FAILPOINTS: wal.afterFsync=panic")
        .contains("failpoint wal.afterFsync: panic, halting the process");
    assertThat(crashed.acked.get()).as("halted before the acknowledgement").isZero();
    long saved = crashed.lastSaved();

    Run restarted = start(saved, 2);
    assertThat(restarted.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    restarted.reader.join(10_000);
    assertThat(restarted.failure()).isNull();
    assertThat(restarted.process.exitValue()).as(restarted.output.toString()).isZero();
    assertThat(restarted.recovered.get()).isEqualTo(saved);
    assertThat(restarted.output.toString()).contains("done " + saved);
  }

  /** A member started with a malformed failpoint spec refuses to start and says why. */
  @Test
  void malformedFailpointSpecStopsTheStart() throws Exception {
    Run run = start(Long.MAX_VALUE, 1, "wal.beforeFsync=sleep(100)");
    assertThat(run.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    run.reader.join(10_000);
    assertThat(run.process.exitValue()).isNotZero();
    assertThat(run.output.toString())
        .contains("KVORUM_FAILPOINTS: bad failpoint 'wal.beforeFsync=sleep(100)': unknown action")
        .doesNotContain("recovered ");
    assertThat(Files.exists(dir.resolve("member/wal"))).as("nothing was created").isFalse();
  }

  /**
   * A prefix of a valid record (at least its header, so it is not mistaken for zeros) where the
   * last segment's records end: a write cut short by a crash.
   */
  private void appendTornRecord(Random rnd) throws IOException {
    List<Path> segments = Wal.segments(dir.resolve("member/wal"));
    // Random data ending in a non-zero byte: the zeros after a prefix cannot complete it.
    byte[] data = new byte[200];
    rnd.nextBytes(data);
    data[data.length - 1] = 1;
    byte[] rec = Records.encode(RecordType.ENTRY, Entry.newBuilder().setIndex(1L << 40).setTerm(1)
        .setData(com.google.protobuf.ByteString.copyFrom(data)).build().toByteArray());
    Path last = segments.getLast();
    WalTest.writeAt(last, WalTest.recordsEnd(last), Arrays.copyOf(rec, Wal.HEADER_BYTES + rnd.nextInt(rec.length - Wal.HEADER_BYTES)));
  }

  private Run start(long stopAt, int seed) throws IOException {
    return start(stopAt, seed, null);
  }

  /** Starts a {@link CrashWorker}; {@code failpoints}, if not null, goes in KVORUM_FAILPOINTS. */
  private Run start(long stopAt, int seed, String failpoints) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), CrashWorker.class.getName(),
        dir.toString(), Long.toString(stopAt), Integer.toString(seed)));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove(Failpoints.ENV);
    if (failpoints != null) {
      pb.environment().put(Failpoints.ENV, failpoints);
    }
    Process p = pb.start();
    return new Run(p);
  }

  private static final class Run {
    final Process process;
    final AtomicLong acked = new AtomicLong();
    final AtomicLong saved = new AtomicLong(-1);
    final AtomicLong recovered = new AtomicLong(-1);
    final AtomicLong repairedTail = new AtomicLong();
    final StringBuffer output = new StringBuffer();
    final Thread reader;

    Run(Process process) {
      this.process = process;
      this.reader = Thread.ofPlatform().daemon().start(this::read);
    }

    private void read() {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("ack ")) {
            acked.set(Long.parseLong(line.substring(4)));
          } else if (line.startsWith("save ")) {
            saved.set(Long.parseLong(line.substring(5)));
          } else {
            output.append(line).append(File.separatorChar == '/' ? "\n" : "\r\n");
            if (line.startsWith("recovered ")) {
              synchronized (this) {
                repairedTail.set(Long.parseLong(line.split(" ")[3]));
                recovered.set(Long.parseLong(line.split(" ")[1]));
                notifyAll();
              }
            }
          }
        }
      } catch (IOException e) {
        // the JDK closes the pipe when it reaps a killed child: the output ends here
      }
    }

    synchronized long awaitRecovered() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (recovered.get() < 0 && process.isAlive() && System.nanoTime() < deadline) {
        wait(100);
      }
      assertThat(recovered.get()).as("child output: %s", output).isGreaterThanOrEqualTo(0);
      return recovered.get();
    }

    /** The last index the child started to save. */
    long lastSaved() {
      assertThat(saved.get()).as("child output: %s", output).isPositive();
      return saved.get();
    }

    String failure() {
      String out = output.toString();
      return out.contains("FAIL") || out.contains("Exception") ? out : null;
    }
  }
}
