package io.kvorum.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemberFlagsTest {

  private final MemberFlags flags =
      new MemberFlags(List.of(2379, 2479, 2579), List.of(2380, 2480, 2580), "bench-etcd");

  @Test
  void everyMemberGetsItsOwnUrlsAndTheWholeClusterOnLoopback() {
    assertThat(flags.forMember(1, Path.of("/data/m1"))).containsExactly(
        "--name=m1",
        "--data-dir=/data/m1",
        "--listen-client-urls=http://127.0.0.1:2479",
        "--advertise-client-urls=http://127.0.0.1:2479",
        "--listen-peer-urls=http://127.0.0.1:2480",
        "--initial-advertise-peer-urls=http://127.0.0.1:2480",
        "--initial-cluster=m0=http://127.0.0.1:2380,m1=http://127.0.0.1:2480,"
            + "m2=http://127.0.0.1:2580",
        "--initial-cluster-token=bench-etcd",
        "--initial-cluster-state=new",
        "--snapshot-count=100000",
        "--heartbeat-interval=100",
        "--election-timeout=1000");
  }

  @Test
  void etcdAndKvorumGetTheSameFlagsBehindTheirOwnProgram() {
    List<String> memberFlags = flags.forMember(0, Path.of("d"));
    List<String> etcd = new ServerBinary.Etcd(Path.of("/usr/bin/etcd")).command();
    List<String> kvorum = new ServerBinary.Kvorum(Path.of("java"), Path.of("kvorum.jar"),
        List.of()).command();

    assertThat(etcd).containsExactly("/usr/bin/etcd");
    assertThat(kvorum).containsExactly("java", "--enable-native-access=ALL-UNNAMED", "-jar",
        "kvorum.jar");
    assertThat(memberFlags).allMatch(f -> f.startsWith("--") && f.contains("="));
  }
}
