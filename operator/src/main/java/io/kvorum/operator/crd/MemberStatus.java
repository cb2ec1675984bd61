package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One member as observed: its pod, its identity in the Raft group, and how it is doing. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MemberStatus(
    @JsonPropertyDescription("Member name, the same as its pod: <cluster>-<ordinal>.") String name,
    @JsonPropertyDescription("Raft member id in hexadecimal, as etcdctl prints it; absent before the member joined.") String id,
    @JsonPropertyDescription("Pod of the member; absent while it is being replaced.") String pod,
    @JsonPropertyDescription("Server version the member reports in /version.") String serverVersion,
    @JsonPropertyDescription("Whether /health answered true.") boolean healthy,
    @JsonPropertyDescription("Whether the member is the Raft leader.") boolean leader,
    @JsonPropertyDescription("Whether the member is a non-voting learner (catching up after a scale-up).") boolean learner,
    @JsonPropertyDescription("Raft applied index the member reports.") Long appliedIndex) {
}
