package io.kvorum.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The etcd flags of member i of a 3-member cluster on 127.0.0.1, identical for etcd and Kvorum
 * so both clusters run with the same settings. Timings are etcd 3.4's defaults, spelled out so a
 * different default in Kvorum cannot skew the comparison.
 *
 * <p>Example, member 0 of client ports [2379, 2479, 2579] and peer ports [2380, 2480, 2580]:
 * {@code --name=m0 --listen-client-urls=http://127.0.0.1:2379 ... --initial-cluster=
 * m0=http://127.0.0.1:2380,m1=http://127.0.0.1:2480,m2=http://127.0.0.1:2580}.
 */
record MemberFlags(List<Integer> clientPorts, List<Integer> peerPorts, String clusterToken) {

  static final int SNAPSHOT_COUNT = 100_000;
  static final int HEARTBEAT_MILLIS = 100;
  static final int ELECTION_MILLIS = 1000;

  MemberFlags {
    if (clientPorts.size() != peerPorts.size() || clientPorts.isEmpty()) {
      throw new IllegalArgumentException("one client and one peer port per member");
    }
    clientPorts = List.copyOf(clientPorts);
    peerPorts = List.copyOf(peerPorts);
  }

  int members() {
    return clientPorts.size();
  }

  static String name(int member) {
    return "m" + member;
  }

  static String url(int port) {
    return "http://127.0.0.1:" + port;
  }

  List<String> forMember(int member, Path dataDir) {
    StringJoiner cluster = new StringJoiner(",");
    for (int m = 0; m < members(); m++) {
      cluster.add(name(m) + "=" + url(peerPorts.get(m)));
    }
    List<String> flags = new ArrayList<>();
    flags.add("--name=" + name(member));
    flags.add("--data-dir=" + dataDir);
    flags.add("--listen-client-urls=" + url(clientPorts.get(member)));
    flags.add("--advertise-client-urls=" + url(clientPorts.get(member)));
    flags.add("--listen-peer-urls=" + url(peerPorts.get(member)));
    flags.add("--initial-advertise-peer-urls=" + url(peerPorts.get(member)));
    flags.add("--initial-cluster=" + cluster);
    flags.add("--initial-cluster-token=" + clusterToken);
    flags.add("--initial-cluster-state=new");
    flags.add("--snapshot-count=" + SNAPSHOT_COUNT);
    flags.add("--heartbeat-interval=" + HEARTBEAT_MILLIS);
    flags.add("--election-timeout=" + ELECTION_MILLIS);
    return flags;
  }
}
