package io.kvorum.server.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SnapshotPolicyTest {
  private static final long MIB = 1024 * 1024;

  @Test
  void dueAfterSnapshotCountEntriesWhateverTheirSize() {
    SnapshotPolicy policy = new SnapshotPolicy(100_000, 256 * MIB);
    assertThat(policy.isDue(199_999, 100_000, 10 * MIB)).isFalse();
    assertThat(policy.isDue(200_000, 100_000, 10 * MIB)).isTrue();
  }

  @Test
  void dueEarlierWhenTheAppliedLogInMemoryReachesItsByteBudget() {
    SnapshotPolicy policy = new SnapshotPolicy(100_000, 256 * MIB);
    assertThat(policy.isDue(108_000, 100_000, 255 * MIB)).isFalse();
    assertThat(policy.isDue(108_000, 100_000, 256 * MIB)).isTrue();
  }

  @Test
  void neverDueWithoutNewAppliedEntries() {
    SnapshotPolicy policy = new SnapshotPolicy(1, 1);
    assertThat(policy.isDue(500, 500, 10 * MIB)).as("the retained catch-up entries alone").isFalse();
  }

  @Test
  void keepsEtcdsCatchUpEntriesAndHalfTheByteBudget() {
    assertThat(new SnapshotPolicy(100_000, 256 * MIB).keepEntries()).isEqualTo(5000);
    assertThat(new SnapshotPolicy(100, 256 * MIB).keepEntries()).isEqualTo(100);
    assertThat(new SnapshotPolicy(100_000, 256 * MIB).keepBytes()).isEqualTo(128 * MIB);
  }

  @Test
  void refusesNonPositiveLimits() {
    assertThatThrownBy(() -> new SnapshotPolicy(0, MIB)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SnapshotPolicy(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
