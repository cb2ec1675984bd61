package io.kvorum.server.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemberIdsTest {

  /**
   * Ids etcd 3.4.23 printed for {@code --initial-cluster
   * s1=http://127.0.0.1:23800,s2=http://127.0.0.1:23801 --initial-cluster-token tkn}.
   */
  @Test
  void sameIdsAsEtcd() {
    long s1 = MemberIds.memberId(List.of(URI.create("http://127.0.0.1:23800")), "tkn", null);
    long s2 = MemberIds.memberId(List.of(URI.create("http://127.0.0.1:23801")), "tkn", null);
    assertThat(Long.toHexString(s1)).isEqualTo("e92d85a2cda9c53d");
    assertThat(Long.toHexString(s2)).isEqualTo("6c120a4f29d80e03");
    assertThat(Long.toHexString(MemberIds.clusterId(List.of(s1, s2)))).isEqualTo("daff2388f94ffb26");
  }

  @Test
  void tokenAndTimeChangeTheId() {
    List<URI> urls = List.of(URI.create("http://127.0.0.1:23800"));
    long base = MemberIds.memberId(urls, "tkn", null);
    assertThat(MemberIds.memberId(urls, "other", null)).isNotEqualTo(base);
    assertThat(MemberIds.memberId(urls, "tkn", 1700000000L)).isNotEqualTo(base);
  }
}
