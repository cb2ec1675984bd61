package io.kvorum.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Permission;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyRangeSetTest {
  private static final ByteString NONE = ByteString.EMPTY;
  private static final ByteString FROM_KEY = ByteString.copyFrom(new byte[] {0});

  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static Permission perm(String key, ByteString end) {
    return Permission.newBuilder().setKey(b(key)).setRangeEnd(end).build();
  }

  @Test
  void singleKeyPermissionCoversOnlyThatKey() {
    KeyRangeSet set = KeyRangeSet.of(List.of(perm("k", NONE)));
    assertThat(set.covers(b("k"), NONE)).isTrue();
    assertThat(set.covers(b("k0"), NONE)).isFalse();
    assertThat(set.covers(b("j"), NONE)).isFalse();
    // a range starting at the key is more than the key
    assertThat(set.covers(b("k"), b("l"))).isFalse();
    // [k, k\0) is exactly the key
    assertThat(set.covers(b("k"), b("k").concat(FROM_KEY))).isTrue();
  }

  @Test
  void rangePermissionIsHalfOpen() {
    KeyRangeSet set = KeyRangeSet.of(List.of(perm("a", b("c"))));
    assertThat(set.covers(b("a"), NONE)).isTrue();
    assertThat(set.covers(b("bzzz"), NONE)).isTrue();
    assertThat(set.covers(b("c"), NONE)).isFalse();
    assertThat(set.covers(b("a"), b("c"))).isTrue();
    assertThat(set.covers(b("a"), b("d"))).isFalse();
    assertThat(set.covers(b("b"), b("c"))).isTrue();
    assertThat(set.covers(b("a"), FROM_KEY)).isFalse();
  }

  @Test
  void prefixPermissionAsEtcdctlSendsIt() {
    // etcdctl role grant-permission r readwrite app/ --prefix: [app/, app0)
    KeyRangeSet set = KeyRangeSet.of(List.of(perm("app/", b("app0"))));
    assertThat(set.covers(b("app/x"), NONE)).isTrue();
    assertThat(set.covers(b("app/"), b("app0"))).isTrue(); // get app/ --prefix
    assertThat(set.covers(b("app"), NONE)).isFalse();
    assertThat(set.covers(b("ap"), b("aq"))).isFalse(); // get ap --prefix is wider
  }

  @Test
  void fromKeyPermissionIsUnbounded() {
    KeyRangeSet set = KeyRangeSet.of(List.of(perm("z", FROM_KEY)));
    assertThat(set.covers(b("z"), FROM_KEY)).isTrue();
    assertThat(set.covers(b("zz"), FROM_KEY)).isTrue();
    assertThat(set.covers(b("\u00ff\u00ff"), NONE)).isTrue();
    assertThat(set.covers(b("y"), FROM_KEY)).isFalse();
    assertThat(set.covers(b("y"), NONE)).isFalse();
  }

  @Test
  void everyKeyPermission() {
    KeyRangeSet set = KeyRangeSet.of(List.of(perm("\0", FROM_KEY)));
    assertThat(set.covers(b("anything"), NONE)).isTrue();
    assertThat(set.covers(b("\0"), FROM_KEY)).isTrue(); // get "" --prefix as etcdctl sends it
  }

  @Test
  void adjacentAndOverlappingRangesMerge() {
    KeyRangeSet set = KeyRangeSet.of(List.of(perm("c", b("e")), perm("a", b("c")), perm("d", b("f")), perm("x", NONE)));
    assertThat(set.covers(b("a"), b("f"))).isTrue();
    assertThat(set.covers(b("a"), b("g"))).isFalse();
    assertThat(set.covers(b("e"), NONE)).isTrue();
    assertThat(set.covers(b("w"), NONE)).isFalse();
    assertThat(set.covers(b("x"), NONE)).isTrue();
    // a gap between two ranges is not covered
    KeyRangeSet gap = KeyRangeSet.of(List.of(perm("a", b("b")), perm("c", b("d"))));
    assertThat(gap.covers(b("a"), b("d"))).isFalse();
    assertThat(gap.covers(b("c"), NONE)).isTrue();
  }

  @Test
  void bytesCompareUnsigned() {
    ByteString high = ByteString.copyFrom(new byte[] {(byte) 0x80});
    KeyRangeSet set = KeyRangeSet.of(List.of(Permission.newBuilder().setKey(b("a")).setRangeEnd(ByteString.copyFrom(new byte[] {(byte) 0xff})).build()));
    assertThat(set.covers(high, NONE)).isTrue(); // 0x80 sorts after 'a' as etcd's bytes.Compare does
  }

  @Test
  void invertedRequestRangeIsCheckedAsItsKey() {
    KeyRangeSet set = KeyRangeSet.of(List.of(perm("k", NONE)));
    assertThat(set.covers(b("k"), b("a"))).isTrue();
    assertThat(set.covers(b("m"), b("a"))).isFalse();
  }

  @Test
  void emptySetCoversNothing() {
    assertThat(KeyRangeSet.EMPTY.covers(b("a"), NONE)).isFalse();
    assertThat(KeyRangeSet.of(List.of(perm("b", b("a")))).isEmpty()).isTrue();
  }
}
