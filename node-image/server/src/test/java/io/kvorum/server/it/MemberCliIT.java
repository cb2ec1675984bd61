package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.server.it.LocalCluster.Member;
import io.kvorum.server.version.ServerVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar's command line: bad flags, {@code version}, {@code snapshot save/status/restore}, {@code aot-training}. */
class MemberCliIT {

  @TempDir Path dir;

  private LocalCluster cluster;

  @AfterEach
  void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private record Result(int exit, String stdout, String stderr) {}

  private Result kvorum(String... args) throws IOException, InterruptedException {
    return kvorum(Map.of(), args);
  }

  private Result kvorum(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-jar", LocalCluster.defaultJar().toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kvorum " + String.join(" ", args) + " did not finish");
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  /**
   * The image build's step: {@code aot-training} under {@code -XX:AOTCacheOutput} writes the
   * JVM's AOT cache, and a member starts with it. {@code -XX:AOTMode=on} makes that start fail if
   * the JVM cannot use the cache. The options that shape the cache match LocalCluster's members
   * ({@code JDK_JAVA_OPTIONS} adds to the command line, as a container's environment would).
   */
  @Test
  void aotTrainingWritesACacheThatAMemberStartsWith() throws Exception {
    Path cache = dir.resolve("kvorum.aot");
    Result training = kvorum(Map.of("JDK_JAVA_OPTIONS", "-Xmx384m -XX:+UseSerialGC -XX:AOTCacheOutput=" + cache), "aot-training");
    assertThat(training.exit()).as("aot-training exit code; stderr:%n%s", training.stderr()).isZero();
    assertThat(cache).isNotEmptyFile();

    cluster = LocalCluster.startWith(1, dir.resolve("cluster"), Map.of("JDK_JAVA_OPTIONS", "-XX:AOTMode=on -XX:AOTCache=" + cache), List.of());
    Member member = cluster.waitForLeader(Duration.ofSeconds(60));
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(cluster.channel(member)).withDeadlineAfter(10, TimeUnit.SECONDS);
    kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("after-aot")).setValue(ByteString.copyFromUtf8("yes")).build());
    assertThat(kv.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("after-aot")).build()).getKvs(0).getValue().toStringUtf8())
        .isEqualTo("yes");
    assertThat(Files.readString(member.log())).doesNotContain("[aot]");
  }

  @Test
  void badFlagsGetOneLineAndExitCodeTwo() throws Exception {
    Result r = kvorum("--initial-cluster-state", "old");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.stderr().strip()).isEqualTo("kvorum: --initial-cluster-state must be 'new' or 'existing', got 'old'");
    Result unknown = kvorum("--listen-client-url", "http://127.0.0.1:1");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.stderr().strip()).startsWith("kvorum: unknown flag: --listen-client-url");
  }

  @Test
  void versionSubcommandPrintsTheBuildVersion() throws Exception {
    Result r = kvorum("version");
    assertThat(r.exit()).isZero();
    assertThat(r.stdout()).startsWith("kvorum Version: " + ServerVersion.current());
  }

  @Test
  void snapshotSaveStatusAndRestoreIntoANewCluster() throws Exception {
    cluster = LocalCluster.start(1, dir.resolve("old"));
    Member only = cluster.waitForLeader(Duration.ofSeconds(60));
    for (int i = 0; i < 10; i++) {
      KVGrpc.newBlockingStub(cluster.channel(only))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("key" + i)).setValue(ByteString.copyFromUtf8("value" + i)).build());
    }
    Path backup = dir.resolve("backup.db");
    Result saved = kvorum("snapshot", "save", backup.toString(), "--endpoints", only.clientAddress());
    assertThat(saved.exit()).as(saved.stderr()).isZero();
    assertThat(saved.stdout()).contains("Snapshot saved at " + backup);
    assertThat(dir.resolve("backup.db.part")).doesNotExist();

    Result status = kvorum("snapshot", "status", backup.toString(), "-w", "json");
    assertThat(status.exit()).as(status.stderr()).isZero();
    assertThat(status.stdout()).contains("\"revision\":11", "\"totalKey\":10");

    // Restore as a brand-new one-member cluster on new ports and a new token.
    LocalCluster restored = LocalCluster.start(0, dir.resolve("new"));
    cluster.close();
    cluster = restored;
    Member fresh = restored.newMember();
    String initial = fresh.name + "=" + fresh.peerUrl();
    Result r =
        kvorum(
            "snapshot", "restore", backup.toString(),
            "--name", fresh.name,
            "--data-dir", fresh.dataDir.toString(),
            "--initial-cluster", initial,
            "--initial-cluster-token", "restored",
            "--initial-advertise-peer-urls", fresh.peerUrl());
    assertThat(r.exit()).as(r.stderr()).isZero();
    restored.launchRaw(fresh, restored.flags(fresh, "new", initial, "restored"));
    restored.waitForLeader(Duration.ofSeconds(60));
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(restored.channel(fresh)).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThat(kv.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("key7")).build()).getKvs(0).getValue().toStringUtf8()).isEqualTo("value7");
    // New writes after the restore are applied (the new log starts above the restored data).
    kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("after")).setValue(ByteString.copyFromUtf8("restore")).build());
    assertThat(kv.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("after")).build()).getCount()).isEqualTo(1);

    Result again = kvorum("snapshot", "restore", backup.toString(), "--name", fresh.name, "--data-dir", fresh.dataDir.toString(), "--initial-cluster", initial, "--initial-advertise-peer-urls", fresh.peerUrl());
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.stderr()).contains("already has a member");
  }
}
