package io.kvorum.raft;

import static io.kvorum.raft.LogReplicationTest.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.Entry;
import io.kvorum.raft.pb.HardState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The log (stable + unstable) and MemoryStorage. */
class RaftLogTest {

  private static RaftLog logWithTerms(long... terms) {
    MemoryStorage s = new MemoryStorage();
    List<Entry> ents = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      ents.add(entry(i + 1, terms[i]));
    }
    s.append(ents);
    return new RaftLog(s, Long.MAX_VALUE);
  }

  @Test
  void findConflictByTermReturnsTheLastIndexWithATermNotAboveTheGivenOne() {
    RaftLog log = logWithTerms(1, 1, 1, 4, 4, 5, 5, 5);
    assertThat(log.findConflictByTerm(8, 3)).containsExactly(3, 1);
    assertThat(log.findConflictByTerm(8, 5)).containsExactly(8, 5);
    assertThat(log.findConflictByTerm(5, 4)).containsExactly(5, 4);
    assertThat(log.findConflictByTerm(8, 0)).containsExactly(0, 0);
  }

  @Test
  void section5_3_maybeAppendChecksThePreviousEntryAndTruncatesConflicts() {
    RaftLog log = logWithTerms(1, 2, 3);
    assertThat(log.maybeAppend(3, 2, 3, List.of(entry(4, 4)))).as("term mismatch at 3")
        .isEqualTo(-1);
    assertThat(log.maybeAppend(4, 3, 3, List.of(entry(5, 4)))).as("missing entry 4")
        .isEqualTo(-1);
    assertThat(log.maybeAppend(1, 1, 2, List.of(entry(2, 4), entry(3, 4)))).isEqualTo(3);
    assertThat(log.term(2)).isEqualTo(4);
    assertThat(log.committed).isEqualTo(2);
    // Already-present entries are not rewritten, and the commit index never exceeds the new
    // entries the leader vouched for.
    assertThat(log.maybeAppend(1, 1, 10, List.of(entry(2, 4)))).isEqualTo(2);
    assertThat(log.lastIndex()).isEqualTo(3);
    assertThat(log.committed).isEqualTo(2);
  }

  @Test
  void truncatingACommittedEntryIsRefused() {
    RaftLog log = logWithTerms(1, 1, 1);
    log.commitTo(3);
    assertThatThrownBy(() -> log.maybeAppend(1, 1, 3, List.of(entry(2, 2))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("committed");
  }

  @Test
  void section5_4_1_upToDateComparesLastTermThenLength() {
    RaftLog log = logWithTerms(1, 2, 2);
    assertThat(log.isUpToDate(1, 3)).isTrue();
    assertThat(log.isUpToDate(3, 2)).isTrue();
    assertThat(log.isUpToDate(2, 2)).isFalse();
    assertThat(log.isUpToDate(10, 1)).isFalse();
  }

  @Test
  void unstableEntriesBecomeStableOnlyIfTheirTermStillMatches() {
    RaftLog log = logWithTerms(1);
    log.append(List.of(entry(2, 1), entry(3, 1)));
    assertThat(log.unstableEntries()).hasSize(2);
    log.append(List.of(entry(3, 2))); // replaced before it was persisted
    log.stableTo(3, 1);
    assertThat(log.unstableEntries()).extracting(Entry::getTerm).containsExactly(1L, 2L);
    log.stableTo(3, 2);
    assertThat(log.unstableEntries()).isEmpty();
  }

  @Test
  void nextCommittedEntriesRespectsTheSizeLimitButAlwaysGivesOne() {
    MemoryStorage s = new MemoryStorage();
    List<Entry> ents = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      ents.add(entry(i, 1).toBuilder().setData(ByteString.copyFrom(new byte[100])).build());
    }
    s.append(ents);
    RaftLog log = new RaftLog(s, 250);
    log.commitTo(5);
    assertThat(log.nextCommittedEntries()).hasSize(2);
    log.appliedTo(2);
    assertThat(log.nextCommittedEntries()).extracting(Entry::getIndex).containsExactly(3L, 4L);
    RaftLog tiny = new RaftLog(s, 1);
    tiny.commitTo(5);
    assertThat(tiny.nextCommittedEntries()).hasSize(1);
  }

  @Test
  void termOfCompactedOrMissingEntriesIsAnError() {
    MemoryStorage s = new MemoryStorage();
    s.append(List.of(entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)));
    s.createSnapshot(2, ConfState.getDefaultInstance(), ByteString.EMPTY);
    s.compact(2);
    RaftLog log = new RaftLog(s, Long.MAX_VALUE);
    assertThat(log.term(2)).as("the snapshot's own index still has a term").isEqualTo(1);
    assertThatThrownBy(() -> log.term(1)).isInstanceOf(Storage.CompactedException.class);
    assertThatThrownBy(() -> log.term(5)).isInstanceOf(Storage.UnavailableException.class);
    assertThatThrownBy(() -> log.entries(2, Long.MAX_VALUE))
        .isInstanceOf(Storage.CompactedException.class);
    assertThat(log.termOrZero(1)).isZero();
    assertThat(log.termOrZero(5)).isZero();
    assertThat(log.termOrZero(4)).isEqualTo(2);
    assertThat(log.matchTerm(1, 1)).as("compacted").isFalse();
    assertThat(log.matchTerm(2, 1)).as("the snapshot's index").isTrue();
    assertThat(log.matchTerm(5, 0)).as("past the end, even with term 0").isFalse();
  }

  @Test
  void findConflictNamesTheFirstNewOrDifferentEntryAcrossStableAndUnstable() {
    RaftLog log = logWithTerms(1, 1, 2);
    log.append(List.of(entry(4, 3), entry(5, 3)));
    assertThat(log.findConflict(List.of(entry(2, 1), entry(3, 2), entry(4, 3)))).isZero();
    assertThat(log.findConflict(List.of(entry(3, 2), entry(4, 4)))).isEqualTo(4);
    assertThat(log.findConflict(List.of(entry(5, 3), entry(6, 3), entry(7, 3)))).isEqualTo(6);
  }

  @Test
  void memoryStorageAppendReplacesTheTailAndRefusesGaps() {
    MemoryStorage s = new MemoryStorage();
    s.append(List.of(entry(1, 1), entry(2, 1), entry(3, 1)));
    s.append(List.of(entry(2, 2)));
    assertThat(s.lastIndex()).isEqualTo(2);
    assertThat(s.term(2)).isEqualTo(2);
    assertThatThrownBy(() -> s.append(List.of(entry(5, 2))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing log entries");
  }

  @Test
  void memoryStorageSnapshotsCompactionAndErrors() {
    MemoryStorage s = new MemoryStorage();
    s.append(List.of(entry(1, 1), entry(2, 1), entry(3, 2)));
    s.setHardState(HardState.newBuilder().setTerm(2).setCommit(3).build());
    ConfState cs = ConfState.newBuilder().addVoters(1).build();
    s.createSnapshot(2, cs, ByteString.copyFromUtf8("sm"));
    assertThat(s.snapshot().getMetadata().getTerm()).isEqualTo(1);
    assertThat(s.initialState().confState()).isEqualTo(cs);
    assertThat(s.initialState().hardState().getCommit()).isEqualTo(3);
    assertThatThrownBy(() -> s.createSnapshot(2, cs, ByteString.EMPTY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exists");
    s.compact(2);
    assertThat(s.firstIndex()).isEqualTo(3);
    assertThat(s.entries(3, 4, Long.MAX_VALUE)).extracting(Entry::getIndex).containsExactly(3L);
    assertThatThrownBy(() -> s.compact(2)).isInstanceOf(Storage.CompactedException.class);
    assertThatThrownBy(() -> s.compact(9)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> s.entries(3, 9, Long.MAX_VALUE))
        .isInstanceOf(Storage.UnavailableException.class);
    assertThatThrownBy(() -> s.applySnapshot(s.snapshot()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of date");
  }

  @Test
  void limitSizeKeepsAtLeastOneEntry() {
    Entry big = entry(1, 1).toBuilder().setData(ByteString.copyFrom(new byte[40])).build();
    List<Entry> three = List.of(big, big, big);
    assertThat(Entries.limitSize(three, 100)).hasSize(2);
    assertThat(Entries.limitSize(three, 1)).hasSize(1);
    assertThat(Entries.limitSize(three, Long.MAX_VALUE)).hasSize(3);
  }
}
