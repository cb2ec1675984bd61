package io.kvorum.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvorum.operator.tls.CaRotation.Step;
import io.kvorum.operator.tls.CertificateIssuer.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CA rotation and re-issue decisions as tables of situations. */
class CaRotationTest {

  static final Instant T = Instant.parse("2026-03-01T00:00:00Z");
  static final Duration RENEW = Duration.ofDays(30);
  final CertificateIssuer issuer = new CertificateIssuer();
  final Issued ca = issuer.newCa("a", T, Duration.ofDays(365));
  final Issued next = issuer.newCa("b", T.plus(Duration.ofDays(340)), Duration.ofDays(365));

  @Test
  void theCaChangesInTwoStepsAndPromotesOnlyWhenEveryMemberRunsTheBundle() {
    assertThat(CaRotation.decide(ca.certificate(), null, T, RENEW, true)).as("fresh CA").isEqualTo(Step.KEEP);
    assertThat(CaRotation.decide(ca.certificate(), null, T.plus(Duration.ofDays(334)), RENEW, true))
        .as("31 days left").isEqualTo(Step.KEEP);
    assertThat(CaRotation.decide(ca.certificate(), null, T.plus(Duration.ofDays(336)), RENEW, false))
        .as("29 days left: introduce the next CA, whatever the members run").isEqualTo(Step.START);
    assertThat(CaRotation.decide(ca.certificate(), next.certificate(), T.plus(Duration.ofDays(336)), RENEW, false))
        .as("next CA introduced, members still rolling").isEqualTo(Step.KEEP);
    assertThat(CaRotation.decide(ca.certificate(), next.certificate(), T.plus(Duration.ofDays(337)), RENEW, true))
        .as("every member trusts both: sign with the next").isEqualTo(Step.PROMOTE);
  }

  @Test
  void theBundleHoldsSigningNextAndRetiredCasUntilTheyExpire() {
    assertThat(CaRotation.trustBundle(ca.certificate(), null, List.of(), T)).containsExactly(ca.certificate());
    assertThat(CaRotation.trustBundle(ca.certificate(), next.certificate(), List.of(), T))
        .containsExactly(ca.certificate(), next.certificate());
    assertThat(CaRotation.trustBundle(next.certificate(), null, List.of(ca.certificate()), T.plus(Duration.ofDays(340))))
        .as("after the promotion the old CA stays").containsExactly(next.certificate(), ca.certificate());
    assertThat(CaRotation.trustBundle(next.certificate(), null, List.of(ca.certificate()), T.plus(Duration.ofDays(366))))
        .as("expired: dropped").containsExactly(next.certificate());
  }

  @Test
  void aLeafIsReissuedWhenMissingForeignRenamedOrDue() {
    List<String> names = List.of("demo-0.demo-peer.ns.svc");
    Issued leaf = issuer.issue(ca, "demo-0", Usage.MEMBER, names, List.of(), T, Duration.ofDays(90));
    assertThat(CaRotation.reissueReason(leaf.certificate(), ca.certificate(), names, T, RENEW, false)).isNull();
    assertThat(CaRotation.reissueReason(null, ca.certificate(), names, T, RENEW, false)).contains("no certificate");
    assertThat(CaRotation.reissueReason(leaf.certificate(), next.certificate(), names, T, RENEW, false)).contains("another CA");
    assertThat(CaRotation.reissueReason(leaf.certificate(), ca.certificate(), List.of("x"), T, RENEW, false)).contains("names");
    assertThat(CaRotation.reissueReason(leaf.certificate(), ca.certificate(), names, T.plus(Duration.ofDays(61)), RENEW, false))
        .contains("expires");
    assertThat(CaRotation.reissueReason(leaf.certificate(), ca.certificate(), names, T.plus(Duration.ofDays(59)), RENEW, false))
        .isNull();
    assertThat(CaRotation.reissueReason(leaf.certificate(), ca.certificate(), names, T.plus(Duration.ofDays(61)), RENEW, true))
        .as("due while the CA rotates: the rotation re-issues it").isNull();
  }
}
