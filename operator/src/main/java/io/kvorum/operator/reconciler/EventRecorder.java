package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kvorum.operator.crd.KVCluster;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Writes core/v1 Events on a KVCluster, so {@code kubectl describe kvc} and
 * {@code kubectl get events} tell the story of every step. An Event that cannot be written is
 * logged, never a reason to fail the reconcile.
 */
public class EventRecorder {

  private static final Logger LOG = Logger.getLogger(EventRecorder.class);
  static final String COMPONENT = "kvorum-operator";
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final KubernetesClient client;
  private final Clock clock;

  public EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  public void normal(KVCluster kvc, String reason, String message) {
    record(kvc, "Normal", reason, message);
  }

  public void warning(KVCluster kvc, String reason, String message) {
    record(kvc, "Warning", reason, message);
  }

  private void record(KVCluster kvc, String type, String reason, String message) {
    String now = Instant.now(clock).toString();
    String name = kvc.getMetadata().getName() + "." + Long.toHexString(System.currentTimeMillis())
        + Long.toHexString(SEQUENCE.incrementAndGet());
    LOG.infof("%s/%s %s %s: %s", kvc.getMetadata().getNamespace(), kvc.getMetadata().getName(), type, reason, message);
    try {
      client.v1().events().inNamespace(kvc.getMetadata().getNamespace()).resource(new EventBuilder()
          .withNewMetadata().withName(name).withNamespace(kvc.getMetadata().getNamespace()).endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder()
              .withApiVersion(kvc.getApiVersion()).withKind(kvc.getKind())
              .withName(kvc.getMetadata().getName()).withNamespace(kvc.getMetadata().getNamespace())
              .withUid(kvc.getMetadata().getUid()).build())
          .withType(type)
          .withReason(reason)
          .withMessage(message.length() > 1024 ? message.substring(0, 1024) : message)
          .withNewSource().withComponent(COMPONENT).endSource()
          .withReportingComponent(COMPONENT)
          .withFirstTimestamp(now)
          .withLastTimestamp(now)
          .withCount(1)
          .build()).create();
    } catch (KubernetesClientException e) {
      LOG.warnf("could not record event %s on %s: %s", reason, kvc.getMetadata().getName(), e.getMessage());
    }
  }
}
