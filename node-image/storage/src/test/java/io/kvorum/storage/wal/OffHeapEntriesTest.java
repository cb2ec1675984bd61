package io.kvorum.storage.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.Entry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OffHeapEntriesTest {
  private static final int CHUNK = 4096;

  private static Entry entry(long index, long term, int dataBytes) {
    byte[] data = new byte[dataBytes];
    new Random(index).nextBytes(data);
    return Entry.newBuilder().setIndex(index).setTerm(term).setData(ByteString.copyFrom(data)).build();
  }

  @Test
  void entriesComeBackAsTheyWentInAcrossChunks() {
    OffHeapEntries log = new OffHeapEntries(CHUNK);
    List<Entry> model = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      Entry e = entry(i, 1 + i / 10, 700); // ~5 per chunk
      log.append(e);
      model.add(e);
    }

    assertThat(log.size()).isEqualTo(100);
    assertThat(log.bytes()).isEqualTo(model.stream().mapToLong(Entry::getSerializedSize).sum());
    for (int i = 0; i < 100; i++) {
      assertThat(log.get(i)).isEqualTo(model.get(i));
      assertThat(log.term(i)).isEqualTo(model.get(i).getTerm());
      assertThat(log.serializedSize(i)).isEqualTo(model.get(i).getSerializedSize());
    }
  }

  @Test
  void anEntryLargerThanAChunkGetsOneOfItsOwn() {
    OffHeapEntries log = new OffHeapEntries(CHUNK);
    Entry small = entry(1, 1, 100);
    Entry big = entry(2, 1, 3 * CHUNK);
    log.append(small);
    log.append(big);
    log.append(entry(3, 1, 100));

    assertThat(log.get(1)).isEqualTo(big);
    assertThat(log.get(2).getIndex()).isEqualTo(3);
  }

  @Test
  void aTruncatedSuffixIsOverwrittenByTheNextAppends() {
    OffHeapEntries log = new OffHeapEntries(CHUNK);
    for (int i = 1; i <= 20; i++) {
      log.append(entry(i, 1, 700));
    }
    log.truncate(7);
    Entry replacement = entry(8, 2, 1500);
    log.append(replacement);

    assertThat(log.size()).isEqualTo(8);
    assertThat(log.get(6)).isEqualTo(entry(7, 1, 700));
    assertThat(log.get(7)).isEqualTo(replacement);
  }

  @Test
  void droppingTheOldestKeepsTheRestAndAnEmptiedLogStartsAgain() {
    OffHeapEntries log = new OffHeapEntries(CHUNK);
    for (int i = 1; i <= 30; i++) {
      log.append(entry(i, 1, 700));
    }
    log.dropFirst(12);
    assertThat(log.size()).isEqualTo(18);
    assertThat(log.get(0)).isEqualTo(entry(13, 1, 700));

    log.dropFirst(18);
    assertThat(log.size()).isZero();
    assertThat(log.bytes()).isZero();
    log.append(entry(31, 3, 10));
    assertThat(log.get(0)).isEqualTo(entry(31, 3, 10));
  }

  @Test
  void refusesIndexesOutsideTheLog() {
    OffHeapEntries log = new OffHeapEntries(CHUNK);
    log.append(entry(1, 1, 10));

    assertThatThrownBy(() -> log.get(1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> log.term(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> log.truncate(2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> log.dropFirst(2)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  /** Appends, conflicting suffixes and compactions in random order, against a plain list. */
  @Test
  void behavesLikeAListUnderRandomChanges() {
    Random random = new Random(7);
    OffHeapEntries log = new OffHeapEntries(CHUNK);
    List<Entry> model = new ArrayList<>();
    long next = 1;
    for (int step = 0; step < 20_000; step++) {
      int op = random.nextInt(100);
      if (op < 80) {
        Entry e = entry(next++, step, random.nextInt(op < 2 ? 3 * CHUNK : 900));
        log.append(e);
        model.add(e);
      } else if (op < 90 && !model.isEmpty()) {
        int keep = model.size() - random.nextInt(Math.min(model.size(), 20) + 1);
        log.truncate(keep);
        model.subList(keep, model.size()).clear();
      } else if (!model.isEmpty()) {
        int drop = random.nextInt(Math.min(model.size(), 50) + 1);
        log.dropFirst(drop);
        model.subList(0, drop).clear();
      }
      if (step % 97 == 0 || step == 19_999) {
        assertThat(log.size()).isEqualTo(model.size());
        assertThat(log.bytes()).isEqualTo(model.stream().mapToLong(Entry::getSerializedSize).sum());
        for (int i = 0; i < model.size(); i++) {
          assertThat(log.term(i)).isEqualTo(model.get(i).getTerm());
        }
        if (!model.isEmpty()) {
          int i = random.nextInt(model.size());
          assertThat(log.get(i)).as("entry %d at step %d", i, step).isEqualTo(model.get(i));
          assertThat(log.get(model.size() - 1)).isEqualTo(model.getLast());
        }
      }
    }
  }
}
