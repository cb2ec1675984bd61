package io.kvorum.operator.member;

import java.net.URI;
import java.util.List;

/** An entry of the Raft member list. {@code name} is empty until the member first started. */
public record ClusterMember(long id, String name, List<URI> peerUrls, boolean learner) {
}
