package io.kvorum.operator.reconciler;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.planner.Action;
import io.kvorum.operator.planner.Plan;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Operator metrics, exposed at /q/metrics next to JOSDK's own reconciliation metrics:
 * <pre>
 * kvorum_operator_actions_total{action,outcome}               actions executed
 * kvorum_operator_cluster_healthy_members{namespace,cluster}   healthy voters at the last look
 * kvorum_operator_cluster_upgrading{namespace,cluster}        1 while an upgrade is in progress
 * </pre>
 */
public class OperatorMetrics {

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void action(Action action, boolean succeeded) {
    registry.counter("kvorum_operator_actions_total", "action", action.getClass().getSimpleName(),
        "outcome", succeeded ? "ok" : "failed").increment();
  }

  public void observed(KVCluster kvc, long healthyVoters, Plan plan) {
    gauge("kvorum_operator_cluster_healthy_members", kvc).set(healthyVoters);
    gauge("kvorum_operator_cluster_upgrading", kvc).set(plan.upgrade() == null ? 0 : 1);
  }

  private AtomicLong gauge(String name, KVCluster kvc) {
    String ns = kvc.getMetadata().getNamespace();
    String cluster = kvc.getMetadata().getName();
    return gauges.computeIfAbsent(name + "/" + ns + "/" + cluster,
        k -> registry.gauge(name, Tags.of("namespace", ns, "cluster", cluster), new AtomicLong()));
  }
}
