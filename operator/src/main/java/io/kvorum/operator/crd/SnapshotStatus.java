package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A snapshot streamed from the leader whose SHA-256 trailer matched its content. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SnapshotStatus(
    @JsonPropertyDescription("File name in the operator's backup volume: <namespace>/<cluster>/<file>.") String name,
    @JsonPropertyDescription("Store revision at the time the snapshot was requested.") Long revision,
    @JsonPropertyDescription("Size in bytes, trailer included.") Long size,
    @JsonPropertyDescription("SHA-256 of the snapshot data (the stream's trailer), hexadecimal.") String sha256,
    @JsonPropertyDescription("When the snapshot was verified, RFC 3339.") String time,
    @JsonPropertyDescription("The member (the leader) it was streamed from.") String member) {
}
