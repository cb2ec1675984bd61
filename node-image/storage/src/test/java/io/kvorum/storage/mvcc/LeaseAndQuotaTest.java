package io.kvorum.storage.mvcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.storage.EtcdException;
import io.kvorum.storage.EtcdException.Kind;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseAndQuotaTest {
  private static final long SECOND = 1_000_000_000L;

  @TempDir
  Path dir;
  final AtomicLong now = new AtomicLong(1_000 * SECOND);

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private StoreFixture fixture() {
    return new StoreFixture(dir, StoreOptions.defaults().withNanoTime(now::get));
  }

  private static PutRequest put(String k, String v, long lease) {
    return PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v)).setLease(lease).build();
  }

  private static long count(StoreFixture f, String prefix) {
    return f.store.range(RangeRequest.newBuilder().setKey(bs(prefix))
        .setRangeEnd(bs(prefix + "\u00ff")).setCountOnly(true).build()).getCount();
  }

  @Test
  void revokeDeletesAttachedKeysInOneRevision() {
    try (StoreFixture f = fixture()) {
      LeaseGrantResponse g = f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setID(7).setTTL(30).build()));
      assertThat(g.getID()).isEqualTo(7);
      assertThat(g.getTTL()).isEqualTo(30);
      f.apply(b -> b.put(put("l/a", "1", 7)));
      f.apply(b -> b.put(put("l/b", "2", 7)));
      f.apply(b -> b.put(put("l/c", "3", 0)));
      long before = f.store.currentRevision();
      f.apply(b -> b.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(7).build()));
      assertThat(f.store.currentRevision()).isEqualTo(before + 1);
      assertThat(count(f, "l/")).isEqualTo(1);
      assertThatThrownBy(() -> f.apply(b -> b.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(7).build())))
          .isInstanceOf(EtcdException.class).hasMessage("etcdserver: requested lease not found");
      assertThatThrownBy(() -> f.apply(b -> b.put(put("x", "1", 7))))
          .isInstanceOf(EtcdException.class)
          .satisfies(e -> assertThat(((EtcdException) e).grpcCode()).isEqualTo("NOT_FOUND"));
    }
  }

  @Test
  void leasesAndAttachmentsSurviveRestart() {
    try (StoreFixture f = fixture()) {
      long id = f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(1).build())).getID();
      assertThat(id).isPositive();
      f.apply(b -> b.put(put("k1", "v", id)));
      f.apply(b -> b.put(put("k2", "v", id)));
      f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs("k2")).setIgnoreLease(true)
          .setValue(bs("w")).build()));
      f.restart();
      f.store.lessor().promote(0);
      LeaseTimeToLiveResponse ttl = f.store.leaseTimeToLive(
          LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(true).build());
      assertThat(ttl.getGrantedTTL()).as("raised to the minimum TTL").isEqualTo(2);
      assertThat(ttl.getKeysList()).containsExactly(bs("k1"), bs("k2"));
      f.apply(b -> b.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(id).build()));
      assertThat(count(f, "k")).isZero();
    }
  }

  @Test
  void onlyThePrimaryExpiresAndPromotionRestartsTheTtl() {
    try (StoreFixture f = fixture()) {
      f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setID(1).setTTL(10).build()));
      f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setID(2).setTTL(100).build()));
      now.addAndGet(50 * SECOND);
      assertThat(f.store.lessor().expiredLeases(10)).as("a follower expires nothing").isEmpty();
      assertThatThrownBy(() -> f.store.leaseKeepAlive(LeaseKeepAliveRequest.newBuilder().setID(1).build()))
          .isInstanceOf(EtcdException.class)
          .satisfies(e -> assertThat(((EtcdException) e).kind()).isEqualTo(Kind.NOT_PRIMARY));

      f.store.lessor().promote(2 * SECOND);
      now.addAndGet(11 * SECOND);
      assertThat(f.store.lessor().expiredLeases(10)).as("10 s TTL + 2 s extension").isEmpty();
      assertThat(f.store.leaseKeepAlive(LeaseKeepAliveRequest.newBuilder().setID(1).build()).getTTL())
          .isEqualTo(10);
      now.addAndGet(9 * SECOND);
      assertThat(f.store.lessor().expiredLeases(10)).isEmpty();
      now.addAndGet(2 * SECOND);
      assertThat(f.store.lessor().expiredLeases(10)).containsExactly(1L);
      assertThat(f.store.lessor().expiredLeases(10)).as("offered once until the retry interval").isEmpty();
      assertThatThrownBy(() -> f.store.leaseKeepAlive(LeaseKeepAliveRequest.newBuilder().setID(1).build()))
          .isInstanceOf(EtcdException.class).hasMessage("etcdserver: requested lease not found");
      f.store.lessor().demote();
      now.addAndGet(1000 * SECOND);
      assertThat(f.store.lessor().expiredLeases(10)).isEmpty();
      assertThat(f.store.lessor().leases()).containsExactly(1L, 2L);
    }
  }

  @Test
  void grantErrorsAreEtcds() {
    try (StoreFixture f = fixture()) {
      f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setID(5).setTTL(10).build()));
      assertThatThrownBy(() -> f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setID(5).setTTL(10).build())))
          .hasMessage("etcdserver: lease already exists");
      assertThatThrownBy(() -> f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setID(6).setTTL(9_000_000_001L).build())))
          .hasMessage("etcdserver: too large lease TTL");
      f.store.lessor().promote(0);
      assertThat(f.store.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(99).build()).getTTL())
          .isEqualTo(-1);
    }
  }

  @Test
  void quotaStopsPutsButKeepsDataAndAllowsDeleteAndCompaction() {
    StoreOptions small = StoreOptions.defaults().withQuotaBackendBytes(2 * 1024 * 1024);
    ByteString big = ByteString.copyFrom(new byte[100 * 1024]);
    int stored = 0;
    try (StoreFixture f = new StoreFixture(dir, small)) {
      EtcdException full = null;
      for (int i = 0; i < 100 && full == null; i++) {
        int n = i;
        try {
          f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs("big" + n)).setValue(big).build()));
          stored++;
        } catch (EtcdException e) {
          full = e;
        }
      }
      assertThat(full).isNotNull();
      assertThat(full.getMessage()).isEqualTo("etcdserver: mvcc: database space exceeded");
      assertThat(full.grpcCode()).isEqualTo("RESOURCE_EXHAUSTED");
      assertThat(stored).isBetween(5, 25);
      assertThat(f.store.noSpaceAlarm()).isTrue();
      assertThatThrownBy(() -> f.store.checkQuota(PutRequest.newBuilder().setKey(bs("x")).build()))
          .isInstanceOf(EtcdException.class);
      assertThatThrownBy(() -> f.apply(b -> b.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(5).build())))
          .hasMessage("etcdserver: mvcc: database space exceeded");
      assertThat(count(f, "big")).isEqualTo(stored);
      // the alarm survives a restart, and deletes and compaction still work
      f.restart();
      assertThat(f.store.noSpaceAlarm()).isTrue();
      assertThat(count(f, "big")).isEqualTo(stored);
      f.apply(b -> b.deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("big"))
          .setRangeEnd(bs("bih")).build()));
      long rev = f.store.currentRevision();
      f.apply(b -> b.compact(CompactionRequest.newBuilder().setRevision(rev).build()));
      f.awaitCompaction();
      f.store.defragment();
      assertThat(f.store.sizeBytes()).isLessThan(small.quotaBackendBytes() / 2);
      assertThat(f.store.sizeInUseBytes()).isLessThanOrEqualTo(f.store.sizeBytes());
      f.apply(b -> {
        b.setNoSpaceAlarm(false);
        return null;
      });
      f.apply(b -> b.put(PutRequest.newBuilder().setKey(bs("again")).setValue(bs("ok")).build()));
      assertThat(count(f, "again")).isEqualTo(1);
    }
  }
}
