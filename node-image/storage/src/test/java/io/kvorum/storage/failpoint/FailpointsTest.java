package io.kvorum.storage.failpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FailpointsTest {

  @AfterEach
  void inertAgain() {
    Failpoints.disableAll();
  }

  @Test
  void inertByDefault() {
    // surefire sets neither KVORUM_FAILPOINTS nor kvorum.failpoints
    assertThat(System.getenv(Failpoints.ENV)).isNull();
    Failpoints.checkConfiguration();
    Failpoints.useHalter(status -> {
      throw new AssertionError("halted with " + status + " although no failpoint is enabled");
    });
    long start = System.nanoTime();
    for (String name : Failpoints.NAMES) {
      assertThatCode(() -> Failpoints.hit(name)).doesNotThrowAnyException();
    }
    assertThat(System.nanoTime() - start).as("no failpoint slept").isLessThan(100_000_000L);
  }

  @Test
  void parsesTheHarnessSyntax() {
    Map<String, Failpoint> points = FailpointSpec.parse(
        " wal.beforeFsync=sleep(100ms) ;wal.afterFsync=1*panic;backend.beforeCommit = 3*error;",
        "test");
    assertThat(points).containsOnlyKeys("wal.beforeFsync", "wal.afterFsync", "backend.beforeCommit");
    assertThat(points.get("wal.beforeFsync").action()).isEqualTo(new Action.Sleep(100));
    assertThat(points.get("wal.afterFsync").action()).isEqualTo(new Action.Panic());
    assertThat(points.get("backend.beforeCommit").action()).isEqualTo(new Action.Error());
    assertThat(FailpointSpec.parse("  ", "test")).isEmpty();
  }

  @Test
  void malformedSpecsNameTheTermTheProblemAndTheSyntax() {
    record Bad(String spec, String problem) {}
    List<Bad> bad = List.of(
        new Bad("wal.beforeFsync", "no '='"),
        new Bad("wal.beforefsync=panic", "unknown failpoint 'wal.beforefsync' (known: wal.beforeFsync"),
        new Bad("wal.beforeFsync=sleep(100)", "unknown action 'sleep(100)'"),
        new Bad("wal.beforeFsync=sleep(1s)", "unknown action 'sleep(1s)'"),
        new Bad("wal.afterFsync=crash", "unknown action 'crash'"),
        new Bad("wal.afterFsync=0*panic", "0* would never fire"),
        new Bad("wal.afterFsync=panic;wal.afterFsync=error", "'wal.afterFsync' is set twice"));
    for (Bad b : bad) {
      assertThatThrownBy(() -> FailpointSpec.parse(b.spec(), Failpoints.ENV))
          .as(b.spec())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(Failpoints.ENV + ": bad failpoint '")
          .hasMessageContaining(b.problem())
          .hasMessageContaining("expected name=action[;name=action...]");
    }
  }

  @Test
  void malformedEnableKeepsTheCurrentFailpoints() {
    Failpoints.enable("backend.beforeCommit=error");
    assertThatThrownBy(() -> Failpoints.enable("backend.beforeCommit=oops"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Failpoints.hit(Failpoints.BACKEND_BEFORE_COMMIT))
        .isInstanceOf(FailpointException.class);
  }

  @Test
  void sleepBlocksTheHittingThread() {
    Failpoints.enable("snapshot.send=sleep(50ms)");
    long start = System.nanoTime();
    Failpoints.hit(Failpoints.SNAPSHOT_SEND);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(50_000_000L);
  }

  @Test
  void errorThrowsAnIoFailureNamingTheFailpoint() {
    Failpoints.enable("snapshot.receive=error");
    assertThatCode(() -> Failpoints.hit(Failpoints.SNAPSHOT_SEND)).doesNotThrowAnyException();
    assertThatThrownBy(() -> Failpoints.hit(Failpoints.SNAPSHOT_RECEIVE))
        .isInstanceOfSatisfying(FailpointException.class,
            e -> assertThat(e.failpoint()).isEqualTo("snapshot.receive"))
        .hasCauseInstanceOf(IOException.class)
        .hasMessage("failpoint snapshot.receive: injected error (set by KVORUM_FAILPOINTS)");
  }

  @Test
  void panicHaltsWithStatusTwo() {
    List<Integer> halts = new ArrayList<>();
    Failpoints.useHalter(status -> {
      halts.add(status);
      throw new Halted(); // Runtime.halt never returns
    });
    Failpoints.enable("wal.afterFsync=panic");
    assertThatThrownBy(() -> Failpoints.hit(Failpoints.WAL_AFTER_FSYNC)).isInstanceOf(Halted.class);
    assertThat(halts).containsExactly(2);
  }

  @Test
  void countedActionFiresOnTheFirstHitsOnly() {
    Failpoints.enable("apply.before=2*error");
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> Failpoints.hit(Failpoints.APPLY_BEFORE))
          .isInstanceOf(FailpointException.class);
    }
    for (int i = 0; i < 3; i++) {
      assertThatCode(() -> Failpoints.hit(Failpoints.APPLY_BEFORE)).doesNotThrowAnyException();
    }
  }

  @Test
  void disableAllMakesEveryFailpointInert() {
    Failpoints.enable("apply.after=error");
    Failpoints.disableAll();
    assertThatCode(() -> Failpoints.hit(Failpoints.APPLY_AFTER)).doesNotThrowAnyException();
  }

  private static final class Halted extends RuntimeException {}
}
