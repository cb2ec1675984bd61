package io.kvorum.server.version;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JoinPolicyTest {

  @Test
  void sameOrNextMinorMayJoin() {
    assertThat(JoinPolicy.refusal("1.1.0", "1.1.4")).isNull();
    assertThat(JoinPolicy.refusal("1.1.0", "1.2.0-SNAPSHOT")).isNull();
    assertThat(JoinPolicy.refusal("", "0.1.0")).isNull();
  }

  @Test
  void olderAfterUpgradeIsRefusedWithTheWayBack() {
    assertThat(JoinPolicy.refusal("1.1.0", "1.0.9"))
        .contains("lower than the cluster version 1.1")
        .contains("downgrade is not possible once every member has been upgraded");
  }

  @Test
  void tooNewOrOtherMajorIsRefused() {
    assertThat(JoinPolicy.refusal("1.0.0", "1.2.0")).contains("more than one minor version above the cluster version 1.0");
    assertThat(JoinPolicy.refusal("1.0.0", "2.0.0")).contains("different major version");
    assertThat(JoinPolicy.refusal("1.0.0", "garbage")).contains("is not a version");
  }
}
