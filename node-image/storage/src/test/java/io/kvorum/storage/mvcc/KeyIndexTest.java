package io.kvorum.storage.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/** The worked example of {@link KeyIndex}'s Javadoc (etcd's). */
class KeyIndexTest {
  private static Revision r(long main) {
    return new Revision(main, 0);
  }

  private static KeyIndex example() {
    KeyIndex ki = new KeyIndex(ByteString.copyFromUtf8("foo"));
    ki.put(r(1));
    ki.put(r(2));
    ki.put(r(3));
    ki.tombstone(r(4));
    ki.put(r(5));
    ki.put(r(6));
    ki.tombstone(r(7));
    return ki;
  }

  @Test
  void getFollowsGenerations() {
    KeyIndex ki = example();
    assertThat(ki.get(3)).isEqualTo(new KeyIndex.Found(r(3), r(1), 3));
    assertThat(ki.get(4)).isNull();
    assertThat(ki.get(6)).isEqualTo(new KeyIndex.Found(r(6), r(5), 2));
    assertThat(ki.get(7)).isNull();
    assertThat(ki.get(0)).isNull();
  }

  @Test
  void compactionKeepsTheNewestRevisionOfLiveGenerations() {
    KeyIndex ki = example();
    ki.compact(2);
    assertThat(ki.contains(r(1))).isFalse();
    assertThat(ki.contains(r(2))).isTrue();
    assertThat(ki.get(2)).isEqualTo(new KeyIndex.Found(r(2), r(1), 2));

    ki.compact(5);
    assertThat(ki.contains(r(4))).as("an ended generation goes with its tombstone").isFalse();
    assertThat(ki.contains(r(5))).isTrue();
    assertThat(ki.generations).hasSize(2);
    assertThat(ki.get(6)).isEqualTo(new KeyIndex.Found(r(6), r(5), 2));

    ki.compact(7);
    assertThat(ki.contains(r(7))).isFalse();
    assertThat(ki.isEmpty()).isTrue();
  }

  @Test
  void manyRevisionsWithSubRevisionsSurviveGrowthAndCompaction() {
    KeyIndex ki = new KeyIndex(ByteString.copyFromUtf8("busy"));
    for (long main = 1; main <= 1000; main++) {
      ki.put(new Revision(main, main % 3));
    }
    assertThat(ki.get(500)).isEqualTo(new KeyIndex.Found(new Revision(500, 2), new Revision(1, 1), 500));
    assertThat(ki.contains(new Revision(500, 2))).isTrue();
    assertThat(ki.contains(new Revision(500, 0))).as("same main, other sub").isFalse();

    ki.compact(990);
    assertThat(ki.contains(new Revision(989, 2))).isFalse();
    assertThat(ki.get(995)).isEqualTo(new KeyIndex.Found(new Revision(995, 2), new Revision(1, 1), 995));
    ki.put(new Revision(1001, 0));
    assertThat(ki.get(2000)).isEqualTo(new KeyIndex.Found(new Revision(1001, 0), new Revision(1, 1), 1001));
  }

  @Test
  void refusesARevisionThatIsNotNewer() {
    KeyIndex ki = example();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ki.put(new Revision(7, 0)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("is not after 7_0");
    ki.put(new Revision(7, 1));
  }

  @Test
  void revisionBytesSortLikeRevisions() {
    Revision a = new Revision(5, 1);
    Revision b = new Revision(256, 0);
    assertThat(java.util.Arrays.compareUnsigned(a.toBytes(), b.toBytes())).isNegative();
    assertThat(Revision.fromBytes(a.toTombstoneBytes())).isEqualTo(a);
    assertThat(Revision.isTombstone(a.toTombstoneBytes())).isTrue();
    assertThat(Revision.isTombstone(a.toBytes())).isFalse();
  }
}
