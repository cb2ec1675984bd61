package io.kvorum.operator.testing;

import io.kvorum.operator.member.MemberClient;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** In Quarkus tests the operator talks to the in-memory Raft groups instead of real members. */
@Singleton
public class FakeMemberClientProducer {

  public static final FakeClusters CLUSTERS = new FakeClusters();

  @Produces
  @Singleton
  @Alternative
  @Priority(1)
  MemberClient members() {
    return CLUSTERS;
  }
}
