package io.kvorum.operator.planner;

/** Majority arithmetic of a Raft group of voting members. */
public final class Quorum {

  private Quorum() {
  }

  /** Votes needed to commit: 1 of 1, 2 of 3, 3 of 5, 4 of 7. */
  public static int of(int voters) {
    return voters / 2 + 1;
  }

  /** PodDisruptionBudget minAvailable: the majority, so a voluntary eviction never breaks quorum. */
  public static int minAvailable(int replicas) {
    return of(replicas);
  }
}
