package io.kvorum.operator.testing;

import io.kvorum.operator.member.ClientTls;
import io.kvorum.operator.member.ClusterMember;
import io.kvorum.operator.member.MemberClient;
import io.kvorum.operator.member.MemberException;
import io.kvorum.operator.member.MemberProbe;
import io.kvorum.operator.member.SnapshotResult;
import io.kvorum.operator.planner.Quorum;
import io.kvorum.operator.planner.Semver;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Raft group in memory, as the operator sees it through {@link MemberClient}. Nodes "start"
 * when the fake kubelet runs their pods and "stop" when the pods go away. It follows the rules
 * a real cluster enforces: a started node joins only if its peer URL is in the member list (or
 * it bootstraps), a leader exists while a quorum of voters runs, the cluster version is the
 * lowest MAJOR.MINOR among voters, move-leader must go to the leader, and membership changes go
 * through the leader. Every call is recorded in {@link #calls} for ordering assertions.
 */
public class FakeMemberClient implements MemberClient, NodeRuntime {

  public static final class Node {
    public final long id;
    public String name;
    public final URI peerUrl;
    public URI clientUrl;
    public String version;
    public boolean learner;
    public boolean running;
    public boolean healthy = true;
    public boolean drained;

    Node(long id, String name, URI peerUrl, boolean learner) {
      this.id = id;
      this.name = name;
      this.peerUrl = peerUrl;
      this.learner = learner;
    }
  }

  public final List<Node> members = new CopyOnWriteArrayList<>();
  public final List<String> calls = new CopyOnWriteArrayList<>();
  /** Removed members whose process may still run until its pod goes. */
  private final List<Node> removed = new CopyOnWriteArrayList<>();
  /** Versions whose nodes start unhealthy (a broken release). */
  public final Set<String> brokenVersions = new HashSet<>();
  /** Nodes answer drains with UNIMPLEMENTED, as a version from before drains would. */
  public boolean drainUnsupported;
  /** Most voters ever down at the same time while the cluster had been formed. */
  public int maxVotersDown;
  private long leaderId;
  private long nextId = 0x1001;
  private boolean formed;
  private long commit = 100;

  /** The kubelet started a pod: the node process runs with these flags. */
  @Override
  public synchronized void start(URI clientUrl, String name, URI peerUrl, String version, Map<String, URI> initialCluster) {
    if (!formed && members.isEmpty()) {
      // Bootstrap: the initial cluster flag defines the first membership, as in etcd.
      initialCluster.forEach((n, url) -> members.add(new Node(nextId++, n, url, false)));
    }
    Optional<Node> existing = members.stream().filter(n -> n.peerUrl.equals(peerUrl)).findFirst();
    Node node;
    if (existing.isPresent()) {
      node = existing.get();
    } else {
      calls.add("refused-start " + name);
      return; // not a member: a real node exits ("member not found in cluster")
    }
    node.name = name;
    node.clientUrl = clientUrl;
    node.version = version;
    node.running = true;
    node.healthy = !brokenVersions.contains(version);
    calls.add("start " + name + " " + version);
    elect();
  }

  /** The pod is gone: the node process stopped (a leader hands over first, like the real node). */
  @Override
  public synchronized void stop(URI clientUrl) {
    java.util.stream.Stream.concat(members.stream(), removed.stream())
        .filter(n -> clientUrl.equals(n.clientUrl) && n.running).findFirst().ifPresent(n -> {
      n.running = false;
      calls.add("stop " + n.name);
      if (n.id == leaderId) {
        leaderId = 0;
      }
      long down = voters().stream().filter(v -> !v.running).count();
      if (formed) {
        maxVotersDown = Math.max(maxVotersDown, (int) down);
      }
      elect();
    });
  }

  /** Whether a node of this group ever served at {@code clientUrl}. */
  public synchronized boolean knows(URI clientUrl) {
    return java.util.stream.Stream.concat(members.stream(), removed.stream()).anyMatch(n -> clientUrl.equals(n.clientUrl));
  }

  public synchronized Optional<Node> leader() {
    return members.stream().filter(n -> n.id == leaderId).findFirst();
  }

  public synchronized Node byName(String name) {
    return members.stream().filter(n -> name.equals(n.name)).findFirst().orElseThrow();
  }

  private List<Node> voters() {
    return members.stream().filter(n -> !n.learner).toList();
  }

  private void elect() {
    List<Node> up = voters().stream().filter(n -> n.running).toList();
    if (up.size() < Quorum.of(voters().size())) {
      leaderId = 0;
      return;
    }
    formed = true;
    if (leaderId == 0 || leader().filter(l -> l.running && !l.learner).isEmpty()) {
      leaderId = up.stream().min(Comparator.comparingLong(n -> n.id)).orElseThrow().id;
    }
  }

  private String clusterVersion() {
    return voters().stream().filter(n -> n.version != null).map(n -> Semver.parse(n.version))
        .min(Comparator.naturalOrder()).map(v -> v.major() + "." + v.minor() + ".0").orElse(null);
  }

  private Node reachable(URI url) {
    return members.stream().filter(n -> url.equals(n.clientUrl) && n.running).findFirst()
        .orElseThrow(() -> new MemberException("connection refused: " + url));
  }

  /** The TLS credentials the operator asked for, in order (TLS itself is not simulated). */
  public final List<ClientTls> tlsRequested = new CopyOnWriteArrayList<>();

  @Override
  public MemberClient withTls(ClientTls tls) {
    tlsRequested.add(tls);
    return this;
  }

  @Override
  public synchronized MemberProbe probe(URI clientUrl) {
    Optional<Node> node = members.stream().filter(n -> clientUrl.equals(n.clientUrl) && n.running).findFirst();
    if (node.isEmpty()) {
      return MemberProbe.unreachable();
    }
    Node n = node.get();
    return new MemberProbe(true, n.version, clusterVersion(), n.healthy && leaderId != 0, n.id, leaderId,
        commit, commit / 2, n.learner, false);
  }

  @Override
  public synchronized List<ClusterMember> memberList(URI via) {
    reachable(via);
    return members.stream().map(n -> new ClusterMember(n.id, n.name == null ? "" : n.name, List.of(n.peerUrl), n.learner)).toList();
  }

  @Override
  public synchronized long addLearner(URI via, URI peerUrl) {
    requireLeader(via, "member add");
    Node n = new Node(nextId++, null, peerUrl, true);
    members.add(n);
    calls.add("add-learner " + peerUrl.getHost().split("\\.")[0]);
    return n.id;
  }

  @Override
  public synchronized void promote(URI via, long memberId) {
    requireLeader(via, "member promote");
    Node n = members.stream().filter(m -> m.id == memberId).findFirst().orElseThrow(() -> new MemberException("member not found"));
    n.learner = false;
    calls.add("promote " + n.name);
  }

  @Override
  public synchronized void remove(URI via, long memberId) {
    requireLeader(via, "member remove");
    Node n = members.stream().filter(m -> m.id == memberId).findFirst().orElseThrow(() -> new MemberException("member not found"));
    members.remove(n);
    removed.add(n);
    calls.add("remove " + n.name);
    elect();
  }

  @Override
  public synchronized void moveLeader(URI leader, long toMemberId) {
    requireLeader(leader, "move leader");
    Node to = members.stream().filter(m -> m.id == toMemberId && m.running).findFirst()
        .orElseThrow(() -> new MemberException("move leader: target not running"));
    calls.add("move-leader " + leader().orElseThrow().name + " -> " + to.name);
    leaderId = to.id;
  }

  @Override
  public synchronized boolean drain(URI member, java.time.Duration duration) {
    Node n = reachable(member);
    if (drainUnsupported) {
      calls.add("drain-unsupported " + n.name);
      return false;
    }
    n.drained = !duration.isZero();
    calls.add("drain " + n.name);
    return true;
  }

  @Override
  public synchronized boolean ready(URI clientUrl) {
    return members.stream().anyMatch(n -> clientUrl.equals(n.clientUrl) && n.running && n.healthy && !n.drained && leaderId != 0);
  }

  @Override
  public synchronized SnapshotResult snapshot(URI leader, Path target) {
    requireLeader(leader, "snapshot");
    try {
      byte[] data = ("kvorum snapshot at " + commit).getBytes(StandardCharsets.UTF_8);
      byte[] sha = MessageDigest.getInstance("SHA-256").digest(data);
      Files.createDirectories(target.getParent());
      byte[] file = new byte[data.length + sha.length];
      System.arraycopy(data, 0, file, 0, data.length);
      System.arraycopy(sha, 0, file, data.length, sha.length);
      Files.write(target, file);
      calls.add("snapshot " + leader().orElseThrow().name);
      return new SnapshotResult(target, file.length, HexFormat.of().formatHex(sha), commit / 2);
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new MemberException("snapshot failed: " + e.getMessage(), e);
    }
  }

  private void requireLeader(URI via, String what) {
    Node n = reachable(via);
    if (n.id != leaderId) {
      throw new MemberException(what + " sent to " + n.name + ", which is not the leader");
    }
  }

  @Override
  public void close() {
  }

  public List<String> calls(String prefix) {
    return new ArrayList<>(calls.stream().filter(c -> c.startsWith(prefix)).toList());
  }
}
