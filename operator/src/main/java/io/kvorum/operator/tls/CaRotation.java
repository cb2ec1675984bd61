package io.kvorum.operator.tls;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * When the CA of a Generated cluster changes, decided without I/O. A member only accepts a
 * peer whose certificate chains to a CA in its own trust bundle ({@code ca.crt}), and members
 * get new files one pod at a time, so the CA changes in two rolls, never one:
 *
 * <pre>
 *   steady      signing = A, bundle = [A]
 *   START       A is within renewBefore of expiry: create B; bundle = [A, B]; leaves still
 *               signed by A. Roll 1 delivers the bundle: every member then trusts A and B.
 *   PROMOTE     only once every member runs the current files and no roll is in progress:
 *               signing = B, bundle = [B, A]; every leaf is re-issued by B. Roll 2: members
 *               with B-signed leaves and members with A-signed leaves trust each other,
 *               because both bundles hold A and B.
 *   retire      A stays in the bundle until it expires (it vouches for nothing after roll 2);
 *               dropping it changes the bundle, which is rolled like any change.
 * </pre>
 * Issuing leaves directly from B in one roll would split the cluster: a member still holding
 * [A] refuses a peer that already presents a B-signed certificate.
 */
public final class CaRotation {

  public enum Step { KEEP, START, PROMOTE }

  private CaRotation() {
  }

  /**
   * @param next           the CA being introduced, or null
   * @param membersCurrent every member pod runs the current certificate files and no roll is in progress
   */
  public static Step decide(X509Certificate signing, X509Certificate next, Instant now, Duration renewBefore,
                            boolean membersCurrent) {
    if (next == null) {
      return Issued.dueAt(signing, now, renewBefore) ? Step.START : Step.KEEP;
    }
    return membersCurrent ? Step.PROMOTE : Step.KEEP;
  }

  /** The CAs members trust: the signing CA, the next one, and retired ones until they expire. */
  public static List<X509Certificate> trustBundle(X509Certificate signing, X509Certificate next,
                                                  List<X509Certificate> retired, Instant now) {
    List<X509Certificate> bundle = new ArrayList<>();
    bundle.add(signing);
    if (next != null) {
      bundle.add(next);
    }
    for (X509Certificate r : retired) {
      if (now.isBefore(r.getNotAfter().toInstant()) && !bundle.contains(r)) {
        bundle.add(r);
      }
    }
    return bundle;
  }

  /**
   * Why a member or client certificate must be issued again, or null when it is fine. Expiry
   * does not count while the CA itself is due or rotating: the new certificate would be capped
   * at the CA's expiry and be due again at once; the rotation re-issues every leaf anyway.
   */
  public static String reissueReason(X509Certificate leaf, X509Certificate signing, List<String> wantedDns,
                                     Instant now, Duration renewBefore, boolean caRotating) {
    if (leaf == null) {
      return "no certificate yet";
    }
    if (!Pem.signedBy(leaf, signing)) {
      return "issued by another CA than the signing CA " + signing.getSubjectX500Principal().getName();
    }
    List<String> dns = SubjectAltNames.dnsNames(leaf);
    if (!dns.equals(wantedDns)) {
      return "names " + dns + " differ from " + wantedDns;
    }
    if (!caRotating && Issued.dueAt(leaf, now, renewBefore)) {
      return "expires " + leaf.getNotAfter().toInstant() + ", within renewBefore " + renewBefore;
    }
    return null;
  }
}
