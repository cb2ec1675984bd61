package io.kvorum.operator.testing;

import io.kvorum.operator.member.ClientTls;
import io.kvorum.operator.member.ClusterMember;
import io.kvorum.operator.member.MemberClient;
import io.kvorum.operator.member.MemberException;
import io.kvorum.operator.member.MemberProbe;
import io.kvorum.operator.member.SnapshotResult;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Several independent fake Raft groups, one per KVCluster (named by the member name's prefix). */
public class FakeClusters implements MemberClient, NodeRuntime {

  private final Map<String, FakeMemberClient> groups = new ConcurrentHashMap<>();

  public FakeMemberClient group(String cluster) {
    return groups.computeIfAbsent(cluster, c -> new FakeMemberClient());
  }

  private FakeMemberClient via(URI url) {
    return groups.values().stream().filter(g -> g.knows(url)).findFirst()
        .orElseThrow(() -> new MemberException("connection refused: " + url));
  }

  @Override
  public void start(URI clientUrl, String name, URI peerUrl, String version, Map<String, URI> initialCluster) {
    group(name.substring(0, name.lastIndexOf('-'))).start(clientUrl, name, peerUrl, version, initialCluster);
  }

  @Override
  public void stop(URI clientUrl) {
    groups.values().forEach(g -> g.stop(clientUrl));
  }

  @Override
  public boolean ready(URI clientUrl) {
    return groups.values().stream().anyMatch(g -> g.ready(clientUrl));
  }

  @Override
  public boolean drain(URI url, java.time.Duration duration) {
    return via(url).drain(url, duration);
  }

  @Override
  public MemberProbe probe(URI clientUrl) {
    return groups.values().stream().filter(g -> g.knows(clientUrl)).findFirst()
        .map(g -> g.probe(clientUrl)).orElse(MemberProbe.unreachable());
  }

  /** TLS is not simulated: the fake members answer on whatever scheme their pod flags name. */
  @Override
  public MemberClient withTls(ClientTls tls) {
    return this;
  }

  @Override
  public List<ClusterMember> memberList(URI url) {
    return via(url).memberList(url);
  }

  @Override
  public long addLearner(URI url, URI peerUrl) {
    return via(url).addLearner(url, peerUrl);
  }

  @Override
  public void promote(URI url, long memberId) {
    via(url).promote(url, memberId);
  }

  @Override
  public void remove(URI url, long memberId) {
    via(url).remove(url, memberId);
  }

  @Override
  public void moveLeader(URI leader, long toMemberId) {
    via(leader).moveLeader(leader, toMemberId);
  }

  @Override
  public SnapshotResult snapshot(URI leader, Path target) {
    return via(leader).snapshot(leader, target);
  }

  @Override
  public void close() {
  }
}
