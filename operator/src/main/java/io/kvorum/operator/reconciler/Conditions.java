package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.kvorum.operator.planner.Plan.Verdict;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Kubernetes conditions with the API conventions: one per type, lastTransitionTime moves only
 * when the status flips, observedGeneration says which spec it judged.
 */
public final class Conditions {

  public static final String AVAILABLE = "Available";
  public static final String PROGRESSING = "Progressing";
  public static final String DEGRADED = "Degraded";

  private Conditions() {
  }

  public static List<Condition> set(List<Condition> previous, String type, Verdict verdict, Long generation, Instant now) {
    List<Condition> next = new ArrayList<>(previous == null ? List.of() : previous);
    Optional<Condition> old = find(next, type);
    String status = verdict.status() ? "True" : "False";
    String since = old.filter(c -> status.equals(c.getStatus())).map(Condition::getLastTransitionTime).orElse(now.toString());
    Condition c = new ConditionBuilder()
        .withType(type).withStatus(status).withReason(verdict.reason()).withMessage(verdict.message())
        .withObservedGeneration(generation).withLastTransitionTime(since).build();
    old.ifPresentOrElse(o -> next.set(next.indexOf(o), c), () -> next.add(c));
    return next;
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null ? Optional.empty()
        : conditions.stream().filter(c -> Objects.equals(type, c.getType())).findFirst();
  }
}
