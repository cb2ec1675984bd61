package io.kvorum.operator.reconciler;

import io.kvorum.operator.member.MemberProbe;
import io.kvorum.operator.planner.ObservedCluster;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * The planner's input plus what the executor needs to act on it: where each member answers
 * and what it said.
 *
 * @param endpoints client URL of each slot that has a running pod
 * @param probes    what each probed slot answered
 * @param memberListKnown whether a member answered the member list (else membership came from the last status)
 */
public record Observation(ObservedCluster cluster, Map<Integer, URI> endpoints, Map<Integer, MemberProbe> probes,
                          boolean memberListKnown) {

  public Optional<URI> leaderEndpoint() {
    return cluster.leader().map(l -> endpoints.get(l.ordinal()));
  }

  public URI endpoint(int ordinal) {
    URI uri = endpoints.get(ordinal);
    if (uri == null) {
      throw new IllegalStateException("member " + ordinal + " has no running pod to talk to");
    }
    return uri;
  }
}
