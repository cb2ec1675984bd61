package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.TlsSecrets;
import io.kvorum.operator.crd.TlsSpec;
import io.kvorum.operator.member.ClientTls;
import io.kvorum.operator.reconciler.ClusterTls.MemberTls;
import io.kvorum.operator.tls.CaRotation;
import io.kvorum.operator.tls.CertificateIssuer;
import io.kvorum.operator.tls.CertificateIssuer.Usage;
import io.kvorum.operator.tls.Issued;
import io.kvorum.operator.tls.MemberIdentity;
import io.kvorum.operator.tls.Pem;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Keeps the TLS Secrets of a cluster and says which files each member uses.
 *
 * <p><b>Generated</b>: Secrets owned by the KVCluster (deleted with it), read and written by
 * name (the operator needs get/create/update on Secrets, never list or watch):
 * <pre>
 *   demo-ca            tls.crt/tls.key signing CA, next.crt/next.key the CA being introduced,
 *                      ca.crt the trust bundle (see {@link CaRotation})
 *   demo-0-tls ...     per member: tls.crt (serverAuth+clientAuth, used on both ports), tls.key, ca.crt
 *   demo-operator-tls  the operator's client certificate (CN root), tls.key, ca.crt
 * </pre>
 * Each reconcile: create what is missing, start or finish a CA rotation, re-issue a certificate
 * that is due, names the wrong hosts or comes from another CA, and bring every ca.crt to the
 * current bundle. A changed member Secret changes its revision, so the planner rolls the member.
 *
 * <p><b>Secrets</b>: the user's Secrets are only read; a missing Secret or key is reported
 * (Event and condition) and no pod is touched.
 */
public final class CertificateSecrets {

  public static final String ANNOTATION_REVISION = "kvorum.io/tls-revision";
  static final String TLS_CRT = "tls.crt";
  static final String TLS_KEY = "tls.key";
  static final String CA_CRT = "ca.crt";
  static final String NEXT_CRT = "next.crt";
  static final String NEXT_KEY = "next.key";
  /** The operator's identity towards the members (etcd maps a client certificate's CN to a user). */
  static final String CLIENT_COMMON_NAME = "root";

  /** spec.tls cannot be satisfied (a user Secret is missing, or a name is taken); says what to do. */
  public static final class TlsException extends RuntimeException {
    public TlsException(String message) {
      super(message);
    }
  }

  private final KubernetesClient client;
  private final EventRecorder events;
  private final CertificateIssuer issuer;

  public CertificateSecrets(KubernetesClient client, EventRecorder events, CertificateIssuer issuer) {
    this.client = client;
    this.events = events;
    this.issuer = issuer;
  }

  public static String caSecret(String cluster) {
    return cluster + "-ca";
  }

  public static String memberSecret(String cluster, int ordinal) {
    return MemberNames.member(cluster, ordinal) + "-tls";
  }

  public static String operatorSecret(String cluster) {
    return cluster + "-operator-tls";
  }

  /**
   * @param pods the cluster's member pods (their revision annotations tell whether a CA step may proceed)
   */
  public ClusterTls reconcile(KVCluster kvc, Collection<Pod> pods, Instant now) {
    TlsSpec tls = kvc.getSpec().withDefaults().getTls();
    return switch (tls.getMode()) {
      case None -> ClusterTls.NONE;
      case Secrets -> provided(kvc, tls);
      case Generated -> generated(kvc, tls, pods, now);
    };
  }

  // --- Secrets mode

  private ClusterTls provided(KVCluster kvc, TlsSpec tls) {
    TlsSecrets names = tls.getSecrets();
    if (names == null) {
      throw new TlsException("spec.tls.mode is Secrets but spec.tls.secrets is empty: name the server, peer and client Secrets");
    }
    Map<String, String> server = readProvided(kvc, names.getServer(), "server");
    Map<String, String> peer = readProvided(kvc, names.getPeer(), "peer");
    Map<String, String> clientData = readProvided(kvc, names.getClient(), "client");
    Map<String, String> both = new TreeMap<>();
    server.forEach((k, v) -> both.put("server/" + k, v));
    peer.forEach((k, v) -> both.put("peer/" + k, v));
    MemberTls shared = new MemberTls(names.getServer(), names.getPeer(), revision(both));
    return new ClusterTls(true, tls.requireClientCerts(), Map.of(), shared, clientTls(kvc, clientData));
  }

  private Map<String, String> readProvided(KVCluster kvc, String name, String role) {
    Secret s = get(kvc, name);
    String where = "Secret " + kvc.getMetadata().getNamespace() + "/" + name + " (spec.tls.secrets." + role + ")";
    if (s == null) {
      throw new TlsException(where + " does not exist: create it (cert-manager writes tls.crt, tls.key and ca.crt) or fix the name");
    }
    Map<String, String> data = decode(s);
    for (String key : List.of(TLS_CRT, TLS_KEY, CA_CRT)) {
      if (data.getOrDefault(key, "").isBlank()) {
        throw new TlsException(where + " has no " + key + ": it needs tls.crt, tls.key and ca.crt");
      }
    }
    try {
      Pem.readCertificates(data.get(TLS_CRT));
      Pem.readCertificates(data.get(CA_CRT));
    } catch (IllegalArgumentException e) {
      throw new TlsException(where + ": " + e.getMessage());
    }
    return data;
  }

  // --- Generated mode

  private ClusterTls generated(KVCluster kvc, TlsSpec tls, Collection<Pod> pods, Instant now) {
    String name = kvc.getMetadata().getName();
    Duration renewBefore = tls.renewBeforeDuration();

    Secret caSecret = owned(kvc, get(kvc, caSecret(name)));
    Issued signing;
    Issued next = null;
    List<X509Certificate> retired = new ArrayList<>();
    if (caSecret == null) {
      signing = issuer.newCa("kvorum-ca " + name + "." + kvc.getMetadata().getNamespace(), now, tls.caValidityDuration());
    } else {
      Map<String, String> ca = decode(caSecret);
      signing = new Issued(Pem.readCertificates(ca.get(TLS_CRT)).getFirst(), Pem.readPrivateKey(ca.get(TLS_KEY)));
      if (ca.containsKey(NEXT_CRT)) {
        next = new Issued(Pem.readCertificates(ca.get(NEXT_CRT)).getFirst(), Pem.readPrivateKey(ca.get(NEXT_KEY)));
      }
      for (X509Certificate c : Pem.readCertificates(ca.get(CA_CRT))) {
        if (!c.equals(signing.certificate()) && (next == null || !c.equals(next.certificate()))) {
          retired.add(c);
        }
      }
    }

    TreeSet<Integer> ordinals = new TreeSet<>();
    for (int i = 0; i < kvc.getSpec().getReplicas(); i++) ordinals.add(i);
    Map<Integer, String> podRevisions = new HashMap<>();
    for (Pod p : pods) {
      String ordinal = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(MemberNames.LABEL_ORDINAL);
      if (ordinal != null && ordinal.matches("[0-9]+")) {
        ordinals.add(Integer.parseInt(ordinal));
        podRevisions.put(Integer.parseInt(ordinal), p.getMetadata().getAnnotations() == null ? null
            : p.getMetadata().getAnnotations().get(ANNOTATION_REVISION));
      }
    }
    Map<Integer, Secret> memberSecrets = new LinkedHashMap<>();
    for (int n : ordinals) {
      memberSecrets.put(n, owned(kvc, get(kvc, memberSecret(name, n))));
    }
    boolean rollInProgress = kvc.getStatus() != null && kvc.getStatus().getUpgrade() != null;
    boolean membersCurrent = !rollInProgress && !podRevisions.isEmpty() && podRevisions.entrySet().stream()
        .allMatch(e -> memberSecrets.get(e.getKey()) != null
            && Objects.equals(e.getValue(), revision(decode(memberSecrets.get(e.getKey())))));

    switch (CaRotation.decide(signing.certificate(), next == null ? null : next.certificate(), now, renewBefore, membersCurrent)) {
      case START -> {
        next = issuer.newCa("kvorum-ca " + name + "." + kvc.getMetadata().getNamespace(), now, tls.caValidityDuration());
        events.normal(kvc, "CaRotationStarted", "the CA expires " + signing.notAfter() + ": a new CA joins the trust bundle;"
            + " members get the bundle one at a time, then certificates from the new CA");
      }
      case PROMOTE -> {
        retired.add(signing.certificate());
        signing = next;
        next = null;
        events.normal(kvc, "CaPromoted", "every member trusts the new CA: certificates are re-issued by it and rolled");
      }
      case KEEP -> { }
    }
    boolean caRotating = next != null || signing.due(now, renewBefore);
    String bundle = Pem.certificates(CaRotation.trustBundle(signing.certificate(), next == null ? null : next.certificate(), retired, now));

    Map<String, String> caData = new TreeMap<>(Map.of(TLS_CRT, signing.certificatePem(), TLS_KEY, signing.keyPem(), CA_CRT, bundle));
    if (next != null) {
      caData.put(NEXT_CRT, next.certificatePem());
      caData.put(NEXT_KEY, next.keyPem());
    }
    write(kvc, caSecret, caSecret(name), "Opaque", caData);

    Map<Integer, MemberTls> members = new TreeMap<>();
    for (var e : memberSecrets.entrySet()) {
      int n = e.getKey();
      Map<String, String> data = leaf(kvc, e.getValue(), MemberNames.member(name, n), Usage.MEMBER,
          MemberIdentity.dnsNames(kvc, n), MemberIdentity.LOOPBACK_IPS, signing, bundle, tls, now, caRotating);
      write(kvc, e.getValue(), memberSecret(name, n), "kubernetes.io/tls", data);
      members.put(n, new MemberTls(memberSecret(name, n), memberSecret(name, n), revision(data)));
    }
    Secret operator = owned(kvc, get(kvc, operatorSecret(name)));
    Map<String, String> clientData = leaf(kvc, operator, CLIENT_COMMON_NAME, Usage.CLIENT, List.of(), List.of(),
        signing, bundle, tls, now, caRotating);
    write(kvc, operator, operatorSecret(name), "kubernetes.io/tls", clientData);
    return new ClusterTls(true, tls.requireClientCerts(), members, null, clientTls(kvc, clientData));
  }

  /** The data a leaf Secret should hold: its certificate re-issued when needed, ca.crt the current bundle. */
  private Map<String, String> leaf(KVCluster kvc, Secret existing, String commonName, Usage usage, List<String> dns,
                                   List<String> ips, Issued signing, String bundle, TlsSpec tls, Instant now,
                                   boolean caRotating) {
    Map<String, String> data = existing == null ? new TreeMap<>() : new TreeMap<>(decode(existing));
    X509Certificate current = null;
    try {
      List<X509Certificate> certs = Pem.readCertificates(data.get(TLS_CRT));
      current = certs.isEmpty() ? null : certs.getFirst();
    } catch (IllegalArgumentException unreadable) {
      // issued again below
    }
    String reason = CaRotation.reissueReason(current, signing.certificate(), dns, now, tls.renewBeforeDuration(), caRotating);
    if (reason != null) {
      Issued issued = issuer.issue(signing, commonName, usage, dns, ips, now, tls.validityDuration());
      data.put(TLS_CRT, issued.certificatePem());
      data.put(TLS_KEY, issued.keyPem());
      if (current != null) {
        events.normal(kvc, "CertificateIssued", "certificate " + commonName + " re-issued: " + reason + "; valid until " + issued.notAfter());
      }
    }
    data.put(CA_CRT, bundle);
    return data;
  }

  // --- Secrets I/O

  private Secret get(KVCluster kvc, String name) {
    return client.secrets().inNamespace(kvc.getMetadata().getNamespace()).withName(name).get();
  }

  /** An existing Secret of ours, or null; someone else's Secret under our name is never overwritten. */
  private static Secret owned(KVCluster kvc, Secret s) {
    if (s == null) {
      return null;
    }
    boolean ours = s.getMetadata().getOwnerReferences() != null && s.getMetadata().getOwnerReferences().stream()
        .anyMatch(o -> Objects.equals(o.getUid(), kvc.getMetadata().getUid()));
    if (!ours) {
      throw new TlsException("Secret " + kvc.getMetadata().getNamespace() + "/" + s.getMetadata().getName()
          + " exists but does not belong to KVCluster " + kvc.getMetadata().getName()
          + ": the operator keeps its generated certificates under this name; delete or rename that Secret");
    }
    return s;
  }

  private void write(KVCluster kvc, Secret existing, String name, String type, Map<String, String> data) {
    Map<String, String> encoded = new TreeMap<>();
    data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    if (existing == null) {
      Secret s = new SecretBuilder()
          .withNewMetadata()
            .withName(name)
            .withNamespace(kvc.getMetadata().getNamespace())
            .withLabels(MemberNames.clusterLabels(kvc.getMetadata().getName(), "tls"))
            .withOwnerReferences(MemberPod.owner(kvc))
          .endMetadata()
          .withType(type)
          .withData(encoded)
          .build();
      client.secrets().inNamespace(kvc.getMetadata().getNamespace()).resource(s).create();
    } else if (!encoded.equals(new TreeMap<>(existing.getData() == null ? Map.of() : existing.getData()))) {
      existing.setData(encoded);
      client.secrets().inNamespace(kvc.getMetadata().getNamespace()).resource(existing).update();
    }
  }

  private static Map<String, String> decode(Secret s) {
    Map<String, String> out = new TreeMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    if (s.getStringData() != null) {
      out.putAll(s.getStringData());
    }
    return out;
  }

  private static ClientTls clientTls(KVCluster kvc, Map<String, String> data) {
    return new ClientTls(data.get(TLS_CRT), data.get(TLS_KEY), data.get(CA_CRT), MemberIdentity.peerDomain(kvc));
  }

  /** 16 hex digits of SHA-256 over the sorted keys and values: equal content, equal revision. */
  static String revision(Map<String, String> data) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      new TreeMap<>(data).forEach((k, v) -> {
        sha.update(k.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(v.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      });
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
