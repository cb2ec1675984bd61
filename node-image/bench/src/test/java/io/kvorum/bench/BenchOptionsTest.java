package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

  @Test
  void defaultsMeasureEtcdThenKvorumInTheFullProfile() {
    BenchOptions options = BenchOptions.parse();

    assertThat(options.profile().name()).isEqualTo("full");
    assertThat(options.profile().checkPerfLoads()).containsExactly("s", "m", "l");
    assertThat(options.profile().datasetMiB()).isEqualTo(1024);
    assertThat(options.targets()).extracting(BenchOptions.Target::label)
        .containsExactly("etcd", "Kvorum");
    assertThat(options.targets().get(1).binary().command())
        .contains("--enable-native-access=ALL-UNNAMED", "-jar")
        .endsWith("node-image/server/target/kvorum.jar");
    assertThat(options.leaderOnly()).isTrue();
    assertThat(options.startTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(options.workloads()).isEqualTo(Workload.standard());
    assertThat(options.rounds()).isEqualTo(1);
    assertThat(options.aotCache()).isTrue();
  }

  @Test
  void noAotCacheTurnsTheTrainingOff() {
    assertThat(BenchOptions.parse("--no-aot-cache").aotCache()).isFalse();
  }

  @Test
  void quickEtcdOnlyWithOverrides() {
    BenchOptions options = BenchOptions.parse("--quick", "--only", "etcd", "--duration", "7",
        "--check-perf", "none", "--workloads", "range,txn", "--target", "all", "--out", "r",
        "--start-timeout", "30", "--rounds", "3");

    assertThat(options.profile().name()).isEqualTo("quick");
    assertThat(options.profile().timing())
        .isEqualTo(new Timing(Duration.ofSeconds(1), Duration.ofSeconds(7)));
    assertThat(options.profile().checkPerfLoads()).isEmpty();
    assertThat(options.targets()).extracting(BenchOptions.Target::label).containsExactly("etcd");
    assertThat(options.workloads()).extracting(Workload::name)
        .containsExactly("range linearizable c=1", "range linearizable c=256",
            "range serializable c=1", "range serializable c=256", "txn cas c=64");
    assertThat(options.leaderOnly()).isFalse();
    assertThat(options.out()).hasValue(Path.of("r"));
    assertThat(options.startTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(options.rounds()).isEqualTo(3);
  }

  @Test
  void aRateTurnsRequestWorkloadsOpenLoopButKeepsTheWatchPutRate() {
    BenchOptions options = BenchOptions.parse("--rate", "500", "--workloads", "c=64,w=100 ");

    assertThat(options.workloads()).extracting(Workload::name)
        .containsExactly("put 256B/1KiB c=64 @500/s", "txn cas c=64 @500/s",
            "watch w=100 100 put/s");
    assertThat(options.workloads()).allMatch(Workload::openLoop);
    assertThat(options.workloads().getLast().rate()).isEqualTo(100);
  }

  @Test
  void compareMeasuresTwoKvorumBuildsWithTheFirstAsBaseline() {
    BenchOptions options = BenchOptions.parse("--compare", "old.jar", "new.jar",
        "--kvorum-jvm-opt", "-Xmx1g");

    assertThat(options.targets()).extracting(BenchOptions.Target::label).containsExactly("A", "B");
    assertThat(options.targets()).extracting(t -> ((ServerBinary.Kvorum) t.binary()).jar())
        .containsExactly(Path.of("old.jar"), Path.of("new.jar"));
    assertThat(options.targets().get(0).binary().command()).contains("-Xmx1g");
  }

  @Test
  void everyFreshClusterIsWarmedUpBeforeItsFirstWorkloadUnlessToldNot() {
    assertThat(BenchOptions.parse().profile().clusterWarmup()).isEqualTo(Duration.ofSeconds(30));
    assertThat(BenchOptions.parse("--quick").profile().clusterWarmup()).isEqualTo(Duration.ofSeconds(5));
    assertThat(BenchOptions.parse("--cluster-warmup", "0").profile().clusterWarmup()).isZero();
  }

  @Test
  void kvorumMembersGetAOneGibHeapUnlessJvmOptionsAreGiven() {
    assertThat(kvorumCommand(BenchOptions.parse())).contains("-Xmx1g");
    assertThat(kvorumCommand(BenchOptions.parse("--kvorum-jvm-opt", "-Xmx2g", "--kvorum-jvm-opt",
        "-XX:+UseParallelGC"))).contains("-Xmx2g", "-XX:+UseParallelGC").doesNotContain("-Xmx1g");
  }

  private static List<String> kvorumCommand(BenchOptions options) {
    return options.targets().stream().filter(t -> t.label().equals("Kvorum")).findFirst().orElseThrow()
        .binary().command();
  }

  @Test
  void workloadsNoneLeavesOnlyCheckPerfAndTheRestart() {
    BenchOptions options = BenchOptions.parse("--workloads", "none", "--check-perf", "l");

    assertThat(options.workloads()).isEmpty();
    assertThat(options.profile().checkPerfLoads()).containsExactly("l");
  }

  @Test
  void badInputSaysWhatWasWrong() {
    assertThatThrownBy(() -> BenchOptions.parse("--only", "zookeeper"))
        .hasMessageContaining("--only takes etcd or kvorum, not 'zookeeper'");
    assertThatThrownBy(() -> BenchOptions.parse("--duration", "soon"))
        .hasMessageContaining("--duration takes a whole number, not 'soon'");
    assertThatThrownBy(() -> BenchOptions.parse("--duration", "0"))
        .hasMessageContaining("--duration must be at least 1");
    assertThatThrownBy(() -> BenchOptions.parse("--compare", "a.jar"))
        .hasMessageContaining("--compare needs a value");
    assertThatThrownBy(() -> BenchOptions.parse("--check-perf", "huge"))
        .hasMessageContaining("--check-perf takes loads among s,m,l,xl");
    assertThatThrownBy(() -> BenchOptions.parse("--compare", "a.jar", "b.jar", "--only", "etcd"))
        .hasMessageContaining("cannot be combined with --only");
    assertThatThrownBy(() -> BenchOptions.parse("--rounds", "0"))
        .hasMessageContaining("--rounds must be at least 1");
    assertThatThrownBy(() -> BenchOptions.parse("--fast"))
        .hasMessageContaining("unknown option '--fast'").hasMessageContaining("usage:");
  }

  @Test
  void theStandardWorkloadsAreThoseOfTheIssue() {
    assertThat(Workload.standard()).extracting(Workload::name).containsExactly(
        "put 256B/1KiB c=1", "put 256B/1KiB c=16", "put 256B/1KiB c=64", "put 256B/1KiB c=256",
        "put 8B/256B c=1", "put 8B/256B c=256",
        "range linearizable c=1", "range linearizable c=256",
        "range serializable c=1", "range serializable c=256",
        "txn cas c=64",
        "watch w=100 100 put/s", "watch w=1000 1000 put/s");
    assertThat(List.of(1, 16, 64, 256)).extracting(Workload::connectionsFor)
        .containsExactly(1, 2, 8, 32);
  }
}
