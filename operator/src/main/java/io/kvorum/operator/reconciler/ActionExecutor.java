package io.kvorum.operator.reconciler;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kvorum.operator.crd.KVCluster;
import io.kvorum.operator.crd.SnapshotStatus;
import io.kvorum.operator.member.MemberClient;
import io.kvorum.operator.member.MemberException;
import io.kvorum.operator.member.SnapshotResult;
import io.kvorum.operator.planner.Action;
import io.kvorum.operator.planner.ObservedMember;
import io.kvorum.operator.reconciler.MemberPod.ClusterState;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Carries out one planned action against Kubernetes and the members, and says how it went.
 * Every action is safe to repeat: creating what exists is skipped, deleting what is gone is a
 * no-op, and a membership change that already happened shows up in the next observation.
 */
public class ActionExecutor {

  /** How the action went; {@code snapshot} is set after a verified TakeSnapshot. */
  public record Outcome(boolean succeeded, String failure, SnapshotStatus snapshot) {
    static Outcome ok() {
      return new Outcome(true, null, null);
    }

    static Outcome failed(String why) {
      return new Outcome(false, why, null);
    }
  }

  private final KubernetesClient client;
  private final MemberClient members;
  private final SnapshotStore snapshots;
  private final EventRecorder events;
  private final Clock clock;
  private final ClusterTls tls;

  public ActionExecutor(KubernetesClient client, MemberClient members, SnapshotStore snapshots, EventRecorder events, Clock clock,
                        ClusterTls tls) {
    this.client = client;
    this.tls = tls;
    this.members = members;
    this.snapshots = snapshots;
    this.events = events;
    this.clock = clock;
  }

  public Outcome execute(Action action, KVCluster kvc, Observation obs) {
    try {
      return switch (action) {
        case Action.Wait w -> Outcome.ok();
        case Action.Bootstrap b -> bootstrap(kvc, b);
        case Action.CreatePod c -> createPod(kvc, obs, c);
        case Action.TakeSnapshot s -> snapshot(kvc, obs, s);
        case Action.MoveLeader m -> moveLeader(kvc, obs, m);
        case Action.DeletePod d -> deletePod(kvc, d);
        case Action.AddLearner a -> addLearner(kvc, obs, a);
        case Action.PromoteLearner p -> promote(kvc, obs, p);
        case Action.DrainMember d -> drain(kvc, obs, d);
        case Action.RemoveMember r -> remove(kvc, obs, r);
        case Action.DeleteMemberResources d -> deleteResources(kvc, d);
      };
    } catch (MemberException | KubernetesClientException | IllegalStateException e) {
      String why = action.getClass().getSimpleName() + " failed: " + e.getMessage();
      events.warning(kvc, "ActionFailed", why);
      return Outcome.failed(why);
    }
  }

  private Outcome bootstrap(KVCluster kvc, Action.Bootstrap b) {
    List<Integer> all = IntStream.range(0, b.clusterSize()).boxed().toList();
    for (int n : b.ordinals()) {
      ensureVolume(kvc, n);
      create(MemberPod.desired(kvc, n, b.version(), ClusterState.NEW, all, tls));
    }
    events.normal(kvc, "MembersCreated", "created members " + b.ordinals() + " of " + b.clusterSize() + " at " + b.version());
    return Outcome.ok();
  }

  private Outcome createPod(KVCluster kvc, Observation obs, Action.CreatePod c) {
    List<Integer> current = new ArrayList<>(obs.cluster().members().stream()
        .filter(ObservedMember::inMemberList).map(ObservedMember::ordinal).toList());
    if (!current.contains(c.ordinal())) {
      current.add(c.ordinal());
    }
    ensureVolume(kvc, c.ordinal());
    create(MemberPod.desired(kvc, c.ordinal(), c.version(), ClusterState.EXISTING, current, tls));
    events.normal(kvc, "PodCreated", "created pod " + name(kvc, c.ordinal()) + " at " + c.version());
    return Outcome.ok();
  }

  private Outcome snapshot(KVCluster kvc, Observation obs, Action.TakeSnapshot s) {
    Instant now = Instant.now(clock);
    Path target = snapshots.pathFor(kvc.getMetadata().getNamespace(), kvc.getMetadata().getName(), now);
    SnapshotResult r = members.snapshot(obs.endpoint(s.leaderOrdinal()), target);
    snapshots.prune(kvc.getMetadata().getNamespace(), kvc.getMetadata().getName(), kvc.getSpec().withDefaults().getBackup().getRetain());
    SnapshotStatus status = new SnapshotStatus(snapshots.relativeName(r.file()), r.revision(), r.size(), r.sha256(),
        Instant.now(clock).toString(), name(kvc, s.leaderOrdinal()));
    events.normal(kvc, "SnapshotTaken", "snapshot " + status.name() + " from " + status.member() + ": " + r.size()
        + " bytes, revision " + r.revision() + ", sha256 " + r.sha256() + " verified");
    return new Outcome(true, null, status);
  }

  private Outcome moveLeader(KVCluster kvc, Observation obs, Action.MoveLeader m) {
    members.moveLeader(obs.endpoint(m.fromOrdinal()), m.toMemberId());
    events.normal(kvc, "LeadershipMoved", "leadership moved from " + name(kvc, m.fromOrdinal()) + " to " + name(kvc, m.toOrdinal()));
    return Outcome.ok();
  }

  private Outcome deletePod(KVCluster kvc, Action.DeletePod d) {
    pod(kvc, d.ordinal()).delete();
    events.normal(kvc, "PodDeleted", "deleted pod " + name(kvc, d.ordinal()) + ": " + d.reason());
    return Outcome.ok();
  }

  private Outcome addLearner(KVCluster kvc, Observation obs, Action.AddLearner a) {
    URI peer = MemberNames.peerUrl(kvc, a.ordinal());
    long id = members.addLearner(leader(obs), peer);
    events.normal(kvc, "LearnerAdded", name(kvc, a.ordinal()) + " added as learner " + Long.toHexString(id) + " (" + peer + ")");
    return Outcome.ok();
  }

  private Outcome promote(KVCluster kvc, Observation obs, Action.PromoteLearner p) {
    members.promote(leader(obs), p.memberId());
    events.normal(kvc, "MemberPromoted", name(kvc, p.ordinal()) + " promoted to voter");
    return Outcome.ok();
  }

  private Outcome drain(KVCluster kvc, Observation obs, Action.DrainMember d) {
    if (members.drain(obs.endpoint(d.ordinal()), Action.DrainMember.LEASE)) {
      // A merge patch of one annotation: the pod's spec is never edited, and the next reconciles
      // wait for the kubelet instead of draining (and announcing it) again.
      pod(kvc, d.ordinal()).patch(PatchContext.of(PatchType.JSON_MERGE),
          "{\"metadata\":{\"annotations\":{\"" + MemberNames.ANNOTATION_DRAINED_AT + "\":\"" + clock.instant() + "\"}}}");
      return Outcome.ok();
    }
    events.warning(kvc, "DrainUnsupported", name(kvc, d.ordinal()) + " runs a version that cannot be drained;"
        + " removing it while the client Service may still send it requests");
    return remove(kvc, obs, new Action.RemoveMember(d.ordinal(), d.memberId()));
  }

  private Outcome remove(KVCluster kvc, Observation obs, Action.RemoveMember r) {
    members.remove(leader(obs), r.memberId());
    events.normal(kvc, "MemberRemoved", name(kvc, r.ordinal()) + " (" + Long.toHexString(r.memberId()) + ") removed from the member list");
    return Outcome.ok();
  }

  private Outcome deleteResources(KVCluster kvc, Action.DeleteMemberResources d) {
    pod(kvc, d.ordinal()).delete();
    if (d.deleteVolume()) {
      client.persistentVolumeClaims().inNamespace(kvc.getMetadata().getNamespace()).withName(name(kvc, d.ordinal())).delete();
    }
    events.normal(kvc, "MemberResourcesDeleted", "deleted pod " + name(kvc, d.ordinal())
        + (d.deleteVolume() ? " and its volume" : " (volume retained)"));
    return Outcome.ok();
  }

  private URI leader(Observation obs) {
    return obs.leaderEndpoint().orElseThrow(() -> new IllegalStateException("no leader to send the change to"));
  }

  private void ensureVolume(KVCluster kvc, int ordinal) {
    PersistentVolumeClaim desired = MemberPvc.desired(kvc, ordinal);
    var resource = client.persistentVolumeClaims().inNamespace(kvc.getMetadata().getNamespace()).resource(desired);
    if (resource.get() == null) {
      resource.create();
    }
  }

  private void create(Pod pod) {
    var resource = client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod);
    if (resource.get() == null) {
      resource.create();
    }
  }

  private io.fabric8.kubernetes.client.dsl.PodResource pod(KVCluster kvc, int ordinal) {
    return client.pods().inNamespace(kvc.getMetadata().getNamespace()).withName(name(kvc, ordinal));
  }

  private static String name(KVCluster kvc, int ordinal) {
    return MemberNames.member(kvc.getMetadata().getName(), ordinal);
  }
}
