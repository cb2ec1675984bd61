package io.kvorum.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/**
 * Where a rolling upgrade stands; the planner reads it back on every reconcile. Immutable: each
 * step produces a new value, which keeps "did anything change?" a plain equals.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UpgradeStatus(
    @JsonPropertyDescription("Version the cluster ran when the upgrade started.") String from,
    @JsonPropertyDescription("Version the cluster is moving to.") String to,
    @JsonPropertyDescription("Snapshot, ReplaceMember, Paused, WaitClusterVersion or Stuck.") Step step,
    @JsonPropertyDescription("Member being replaced now.") String member,
    @JsonPropertyDescription("When the member in progress was deleted, RFC 3339; its health timeout counts from here.") String memberStartedAt,
    @JsonPropertyDescription("Members already running the new version and verified healthy.") List<String> doneMembers,
    @JsonPropertyDescription("When the upgrade started, RFC 3339.") String startedAt,
    @JsonPropertyDescription("Why the upgrade waits or stopped, for humans.") String message) {

  public enum Step { Snapshot, ReplaceMember, Paused, WaitClusterVersion, Stuck }

  public UpgradeStatus {
    doneMembers = doneMembers == null ? List.of() : List.copyOf(doneMembers);
  }

  public UpgradeStatus withStep(Step newStep, String newMessage) {
    return new UpgradeStatus(from, to, newStep, member, memberStartedAt, doneMembers, startedAt, newMessage);
  }

  public UpgradeStatus replacing(String newMember, String at) {
    return new UpgradeStatus(from, to, Step.ReplaceMember, newMember, at, doneMembers, startedAt, "replacing " + newMember);
  }

  public UpgradeStatus memberDone(Step next, String newMessage) {
    var done = new java.util.ArrayList<>(doneMembers);
    if (member != null && !done.contains(member)) {
      done.add(member);
    }
    return new UpgradeStatus(from, to, next, null, null, done, startedAt, newMessage);
  }
}
