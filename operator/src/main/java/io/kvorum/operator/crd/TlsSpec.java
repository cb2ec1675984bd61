package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.time.Duration;
import java.util.Locale;

/**
 * TLS on the client and peer ports, and for the operator's own calls to the members.
 *
 * <ul>
 *   <li>{@code None}: plaintext, {@code http://} URLs (the default).</li>
 *   <li>{@code Generated}: the operator keeps a CA and one certificate per member (used on both
 *       ports: serverAuth and clientAuth) plus a client certificate for itself, in Secrets owned
 *       by the KVCluster, and renews them {@code renewBefore} their expiry.</li>
 *   <li>{@code Secrets}: the user provides Secrets with cert-manager's keys ({@code tls.crt},
 *       {@code tls.key}, {@code ca.crt}); the operator only reads them.</li>
 * </ul>
 * Durations are Go durations in hours, minutes and seconds, as cert-manager writes them:
 * {@code 2160h}, {@code 720h30m}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.mode != 'Secrets' || has(self.secrets)",
    message = "spec.tls.secrets (server, peer and client Secret names) is required when spec.tls.mode is Secrets")
@ValidationRule(value = "!has(self.renewBefore) || !has(self.validity) || duration(self.renewBefore) < duration(self.validity)",
    message = "spec.tls.renewBefore must be shorter than spec.tls.validity, or certificates would be renewed forever")
@ValidationRule(value = "!has(self.validity) || !has(self.caValidity) || duration(self.validity) <= duration(self.caValidity)",
    message = "spec.tls.validity must not be longer than spec.tls.caValidity (a certificate never outlives its CA)")
public class TlsSpec {

  /** Go duration, hours/minutes/seconds only (CEL's duration() reads the same text). */
  static final String DURATION = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$";

  public enum Mode { None, Generated, Secrets }

  @Default("None")
  @JsonPropertyDescription("None (plaintext), Generated (the operator runs a CA and issues and renews the certificates) or Secrets (certificates from user Secrets with the keys tls.crt, tls.key and ca.crt, as cert-manager writes them). Fixed at creation: a running cluster cannot move between plaintext and TLS.")
  private Mode mode = Mode.None;

  @Default("true")
  @JsonPropertyDescription("Require a client certificate signed by the trusted CA on the client port (etcd's --client-cert-auth). The kubelet's readiness and liveness probes are unaffected: they use each member's plain-HTTP metrics port (2381), which serves only /readyz, /livez, /health, /version and /metrics. Peers always require certificates.")
  private Boolean clientCertAuth = true;

  @Default("2160h")
  @Size(min = 2)
  @Pattern(DURATION)
  @JsonPropertyDescription("Generated mode: lifetime of member and client certificates, a Go duration such as 2160h (90 days).")
  private String validity = "2160h";

  @Default("720h")
  @Size(min = 2)
  @Pattern(DURATION)
  @JsonPropertyDescription("Generated mode: renew a certificate (and begin a CA rotation) this long before it expires, a Go duration such as 720h (30 days). Renewed certificates are rolled to the members one at a time like an upgrade.")
  private String renewBefore = "720h";

  @Default("87600h")
  @Size(min = 2)
  @Pattern(DURATION)
  @JsonPropertyDescription("Generated mode: lifetime of the cluster's CA, a Go duration such as 87600h (10 years).")
  private String caValidity = "87600h";

  @JsonPropertyDescription("Secrets mode: names of the Secrets (in the cluster's namespace) holding tls.crt, tls.key and ca.crt.")
  private TlsSecrets secrets;

  public Mode getMode() { return mode; }
  public void setMode(Mode mode) { this.mode = mode; }
  public Boolean getClientCertAuth() { return clientCertAuth; }
  public void setClientCertAuth(Boolean clientCertAuth) { this.clientCertAuth = clientCertAuth; }
  public String getValidity() { return validity; }
  public void setValidity(String validity) { this.validity = validity; }
  public String getRenewBefore() { return renewBefore; }
  public void setRenewBefore(String renewBefore) { this.renewBefore = renewBefore; }
  public String getCaValidity() { return caValidity; }
  public void setCaValidity(String caValidity) { this.caValidity = caValidity; }
  public TlsSecrets getSecrets() { return secrets; }
  public void setSecrets(TlsSecrets secrets) { this.secrets = secrets; }

  public boolean enabled() {
    return mode != null && mode != Mode.None;
  }

  public boolean requireClientCerts() {
    return enabled() && !Boolean.FALSE.equals(clientCertAuth);
  }

  /**
   * A Go duration of hours, minutes and seconds: {@code 2160h} is 90 days, {@code 1h30m} 90 minutes.
   *
   * @throws IllegalArgumentException naming the field when the text is not such a duration
   */
  public static Duration parseDuration(String field, String text) {
    if (text == null || text.length() < 2 || !text.matches(DURATION)) {
      throw new IllegalArgumentException("spec.tls." + field + " is '" + text + "', not a duration such as 2160h or 90m");
    }
    return Duration.parse("PT" + text.toUpperCase(Locale.ROOT));
  }

  public Duration validityDuration() { return parseDuration("validity", validity); }
  public Duration renewBeforeDuration() { return parseDuration("renewBefore", renewBefore); }
  public Duration caValidityDuration() { return parseDuration("caValidity", caValidity); }
}
