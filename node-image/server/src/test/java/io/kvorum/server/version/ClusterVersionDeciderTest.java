package io.kvorum.server.version;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.server.membership.pb.Member;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterVersionDeciderTest {

  private static Member m(long id, String version, boolean learner) {
    return Member.newBuilder().setId(id).setServerVersion(version).setIsLearner(learner).build();
  }

  @Test
  void lowestMajorMinorOfVoters() {
    assertThat(ClusterVersionDecider.decide(List.of(m(1, "1.1.2", false), m(2, "1.0.5", false), m(3, "1.1.0", false))))
        .contains(Version.parse("1.0.0"));
    assertThat(ClusterVersionDecider.decide(List.of(m(1, "1.1.2", false), m(2, "1.0.5", true))))
        .contains(Version.parse("1.1.0"));
  }

  @Test
  void noDecisionFromAPartialView() {
    assertThat(ClusterVersionDecider.decide(List.of(m(1, "1.1.2", false), m(2, "", false)))).isEmpty();
    assertThat(ClusterVersionDecider.decide(List.of())).isEmpty();
  }
}
