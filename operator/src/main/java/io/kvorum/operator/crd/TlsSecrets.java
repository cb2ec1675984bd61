package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * User-provided certificates (spec.tls.mode=Secrets), each a Secret with cert-manager's keys
 * {@code tls.crt}, {@code tls.key} and {@code ca.crt}. Every member mounts the same server and
 * peer Secrets, so their certificates must name every member: the DNS names
 * {@code *.<cluster>-peer.<namespace>.svc} and {@code *.<cluster>-peer.<namespace>.svc.cluster.local},
 * the client Service {@code <cluster>-client.<namespace>.svc}, and {@code localhost}.
 */
public class TlsSecrets {

  static final String NAME = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$";

  @Required
  @Pattern(NAME)
  @JsonPropertyDescription("Secret with the certificate the members serve on the client port (serverAuth), its key and the CA clients are checked against.")
  private String server;

  @Required
  @Pattern(NAME)
  @JsonPropertyDescription("Secret with the certificate members use between each other (serverAuth and clientAuth), its key and the CA peers are checked against. May be the same Secret as server.")
  private String peer;

  @Required
  @Pattern(NAME)
  @JsonPropertyDescription("Secret with the operator's client certificate (clientAuth) and key, and the CA that signed the members' server certificates.")
  private String client;

  public TlsSecrets() {
  }

  public TlsSecrets(String server, String peer, String client) {
    this.server = server;
    this.peer = peer;
    this.client = client;
  }

  public String getServer() { return server; }
  public void setServer(String server) { this.server = server; }
  public String getPeer() { return peer; }
  public void setPeer(String peer) { this.peer = peer; }
  public String getClient() { return client; }
  public void setClient(String client) { this.client = client; }
}
