package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.KVClusterStatus;
import io.kvorum.operator.member.MemberClient;
import io.kvorum.operator.member.MemberException;
import io.kvorum.operator.tls.CertificateIssuer;
import io.kvorum.operator.planner.Action;
import io.kvorum.operator.planner.ClusterPlanner;
import io.kvorum.operator.planner.Plan;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Reconciles a KVCluster: observe, plan, do one thing, record. The Services and the disruption
 * budget are JOSDK dependents (kept as desired before every reconcile); member pods and volumes
 * are created and deleted only by the planner's actions, one at a time.
 *
 * <pre>
 *   TLS Secrets kept (CertificateSecrets: issue, renew, rotate the CA; or read the user's)
 *   observe (pods, volumes from the informers; each member's /version, /health, status; the member list)
 *     → ClusterPlanner.plan (pure)
 *     → ActionExecutor.execute (one action, Events)
 *     → status patched only when it changed (and cached, see StatusWriter); look again soon while busy, later when idle
 * </pre>
 */
@ControllerConfiguration(name = "kvcluster")
@Workflow(dependents = {
    @Dependent(name = "peer-service", type = PeerServiceDependent.class),
    @Dependent(name = "client-service", type = ClientServiceDependent.class),
    @Dependent(name = "disruption-budget", type = DisruptionBudgetDependent.class)
})
public class KVClusterReconciler implements Reconciler<KVCluster> {

  private final ClusterPlanner planner = new ClusterPlanner();
  private final CertificateIssuer issuer = new CertificateIssuer();
  private final MemberClient members;
  private final OperatorSettings settings;
  private final Clock clock;
  private final OperatorMetrics metrics;
  private final StatusWriter statusWriter;

  @Inject
  public KVClusterReconciler(MemberClient members, OperatorSettings settings, Clock clock, MeterRegistry registry) {
    this(members, settings, clock, registry, StatusWriter.REPLACE_AND_CACHE);
  }

  KVClusterReconciler(MemberClient members, OperatorSettings settings, Clock clock, MeterRegistry registry,
                      StatusWriter statusWriter) {
    this.members = members;
    this.settings = settings;
    this.clock = clock;
    this.metrics = new OperatorMetrics(registry);
    this.statusWriter = statusWriter;
  }

  @Override
  public List<EventSource<?, KVCluster>> prepareEventSources(EventSourceContext<KVCluster> context) {
    return List.of(
        informer(Pod.class, "member-pods", context),
        informer(PersistentVolumeClaim.class, "member-volumes", context));
  }

  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> InformerEventSource<R, KVCluster> informer(
      Class<R> type, String name, EventSourceContext<KVCluster> context) {
    // Volumes kept on deletion have no owner reference, so secondaries map to their cluster by label.
    var config = InformerEventSourceConfiguration.from(type, KVCluster.class)
        .withName(name)
        .withLabelSelector(MemberNames.SELECTOR + "," + MemberNames.LABEL_COMPONENT + "=member")
        .withSecondaryToPrimaryMapper((R r) -> {
          String cluster = r.getMetadata().getLabels() == null ? null : r.getMetadata().getLabels().get(MemberNames.LABEL_CLUSTER);
          return cluster == null ? Set.of() : Set.of(new ResourceID(cluster, r.getMetadata().getNamespace()));
        })
        .build();
    return new InformerEventSource<>(config, context);
  }

  @Override
  public UpdateControl<KVCluster> reconcile(KVCluster kvc, Context<KVCluster> context) {
    Instant now = Instant.now(clock);
    var client = context.getClient();
    EventRecorder events = new EventRecorder(client, clock);
    var pods = context.getSecondaryResources(Pod.class);
    ClusterTls tls;
    MemberClient clusterMembers;
    try {
      tls = new CertificateSecrets(client, events, issuer).reconcile(kvc, pods, now);
      clusterMembers = tls.enabled() ? members.withTls(tls.client()) : members;
    } catch (CertificateSecrets.TlsException | MemberException | IllegalArgumentException e) {
      // Nothing is touched without usable certificates: a pod would not start, the operator could not talk to it.
      return tlsNotReady(kvc, context, events, e.getMessage(), now);
    }
    ActionExecutor executor = new ActionExecutor(client, clusterMembers, new SnapshotStore(settings.backupDir()), events, clock, tls);

    Observation obs = new ClusterObserver(clusterMembers, settings).observe(kvc,
        pods, context.getSecondaryResources(PersistentVolumeClaim.class), tls, now);
    Plan plan = planner.plan(obs.cluster());
    ActionExecutor.Outcome outcome = executor.execute(plan.action(), kvc, obs);
    metrics.action(plan.action(), outcome.succeeded());
    if (outcome.succeeded()) {
      plan.events().forEach(e -> {
        if (e.warning()) events.warning(kvc, e.reason(), e.message());
        else events.normal(kvc, e.reason(), e.message());
      });
    }
    KVClusterStatus status = StatusBuilder.next(kvc, obs, plan, outcome, now);
    metrics.observed(kvc, obs.cluster().healthyVoterCount(), plan);

    boolean busy = !(plan.action() instanceof Action.Wait) || plan.phase() != KVClusterStatus.Phase.Running || !outcome.succeeded();
    var next = busy ? settings.busyRequeue() : settings.idleRequeue();
    if (!status.equals(kvc.getStatus())) {
      statusWriter.write(kvc, status, context);
    }
    return UpdateControl.<KVCluster>noUpdate().rescheduleAfter(next);
  }

  /** spec.tls cannot be met: say so once (Event) and in Degraded, keep the rest of the status, look again soon. */
  private UpdateControl<KVCluster> tlsNotReady(KVCluster kvc, Context<KVCluster> context, EventRecorder events, String why,
                                               Instant now) {
    KVClusterStatus previous = kvc.getStatus() == null ? new KVClusterStatus() : kvc.getStatus();
    boolean known = Conditions.find(previous.getConditions(), Conditions.DEGRADED)
        .map(c -> "TlsNotReady".equals(c.getReason()) && why.equals(c.getMessage())).orElse(false);
    if (!known) {
      events.warning(kvc, "TlsNotReady", why);
      KVClusterStatus status = StatusBuilder.copy(previous);
      status.setConditions(Conditions.set(previous.getConditions(), Conditions.DEGRADED,
          Plan.Verdict.yes("TlsNotReady", why), kvc.getMetadata().getGeneration(), now));
      statusWriter.write(kvc, status, context);
    }
    return UpdateControl.<KVCluster>noUpdate().rescheduleAfter(settings.busyRequeue());
  }
}
