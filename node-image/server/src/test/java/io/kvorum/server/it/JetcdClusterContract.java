package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A 3-member cluster driven by jetcd (the Java etcd client): KV (incl. count-only, which
 * etcdctl 3.4 cannot ask for), Txn, Watch (incl. reconnect after the watched member is
 * killed), Lease, Cluster and Maintenance.
 */
public abstract class JetcdClusterContract extends ClusterContract {
  static final long TIMEOUT_SECONDS = 20;

  Client client(int... members) {
    String[] endpoints =
        (members.length == 0
                ? cluster.clientEndpoints()
                : java.util.Arrays.stream(members).mapToObj(cluster::clientEndpoint).toList())
            .stream()
            .map(e -> "http://" + e)
            .toArray(String[]::new);
    return Client.builder().endpoints(endpoints).build();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static <T> T await(java.util.concurrent.CompletableFuture<T> future) throws Exception {
    return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * A write right after a member is killed may time out while the others elect a new leader
   * (etcd answers UNAVAILABLE "etcdserver: request timed out" then too), so it is retried for up
   * to {@link #TIMEOUT_SECONDS}. Only for idempotent writes: a timed-out attempt may still commit.
   */
  static <T> T awaitRetryingUnavailable(
      java.util.function.Supplier<java.util.concurrent.CompletableFuture<T>> write) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (true) {
      try {
        return await(write.get());
      } catch (java.util.concurrent.ExecutionException e) {
        boolean unavailable =
            e.getCause() instanceof io.grpc.StatusRuntimeException s
                && s.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE;
        if (!unavailable || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  @Test
  void kvPutGetPrefixCountOnlyAndDelete() throws Exception {
    try (Client client = client()) {
      KV kv = client.getKVClient();
      await(kv.put(bytes("j/kv/a"), bytes("1")));
      await(kv.put(bytes("j/kv/b"), bytes("2")));
      long revB = await(kv.put(bytes("j/kv/b"), bytes("2b"), PutOption.builder().withPrevKV().build()))
          .getHeader().getRevision();

      GetResponse prefix = await(kv.get(bytes("j/kv/"), GetOption.builder().isPrefix(true).build()));
      GetResponse count =
          await(kv.get(bytes("j/kv/"), GetOption.builder().isPrefix(true).withCountOnly(true).build()));

      assertThat(prefix.getKvs()).extracting(k -> k.getValue().toString()).containsExactly("1", "2b");
      assertThat(prefix.getKvs().get(1).getModRevision()).isEqualTo(revB);
      assertThat(prefix.getKvs().get(1).getVersion()).isEqualTo(2);
      assertThat(count.getCount()).isEqualTo(2);
      assertThat(count.getKvs()).isEmpty();
      assertThat(prefix.getHeader().getClusterId()).isNotZero();
      assertThat(prefix.getHeader().getMemberId()).isNotZero();
      assertThat(prefix.getHeader().getRaftTerm()).isPositive();

      assertThat(await(kv.delete(bytes("j/kv/a"))).getDeleted()).isEqualTo(1);
      assertThat(await(kv.get(bytes("j/kv/a"))).getKvs()).isEmpty();
    }
  }

  @Test
  void txnCompareThenElse() throws Exception {
    try (Client client = client()) {
      KV kv = client.getKVClient();
      await(kv.put(bytes("j/txn"), bytes("v1")));

      TxnResponse hit =
          await(kv.txn()
              .If(new Cmp(bytes("j/txn"), Cmp.Op.EQUAL, CmpTarget.value(bytes("v1"))))
              .Then(Op.put(bytes("j/txn"), bytes("v2"), PutOption.DEFAULT))
              .Else(Op.put(bytes("j/txn"), bytes("else"), PutOption.DEFAULT))
              .commit());
      TxnResponse miss =
          await(kv.txn()
              .If(new Cmp(bytes("j/txn"), Cmp.Op.EQUAL, CmpTarget.version(99)))
              .Then(Op.put(bytes("j/txn"), bytes("then"), PutOption.DEFAULT))
              .Else(Op.get(bytes("j/txn"), GetOption.DEFAULT))
              .commit());

      assertThat(hit.isSucceeded()).isTrue();
      assertThat(miss.isSucceeded()).isFalse();
      assertThat(miss.getGetResponses().getFirst().getKvs().getFirst().getValue().toString())
          .isEqualTo("v2");
    }
  }

  @Test
  void watchKeepsDeliveringAfterTheWatchedMemberIsKilled() throws Exception {
    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    int watched = 2;
    try (Client watcher = client(watched, 0);
        Client writer = client(0, 1)) {
      KV kv = writer.getKVClient();
      try (Watch.Watcher ignored =
          watcher.getWatchClient().watch(
              bytes("j/watch/"),
              WatchOption.builder().isPrefix(true).withPrevKV(true).build(),
              response -> events.addAll(response.getEvents()))) {
        Thread.sleep(500); // the watch is created asynchronously
        await(kv.put(bytes("j/watch/a"), bytes("1")));
        WatchEvent first = events.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        assertThat(first.getKeyValue().getValue().toString()).isEqualTo("1");

        cluster.kill(watched);
        try {
          awaitRetryingUnavailable(() -> kv.put(bytes("j/watch/a"), bytes("2")));
          WatchEvent afterKill = events.poll(60, TimeUnit.SECONDS);
          assertThat(afterKill).as("event after the watched member was killed").isNotNull();
          KeyValue kvAfter = afterKill.getKeyValue();
          assertThat(kvAfter.getValue().toString()).isEqualTo("2");
          assertThat(afterKill.getPrevKV().getValue().toString()).isEqualTo("1");
        } finally {
          cluster.restart(watched);
        }
      }
    }
  }

  @Test
  void leaseGrantKeepAliveTimeToLiveWithKeysLeasesRevoke() throws Exception {
    try (Client client = client()) {
      long id = await(client.getLeaseClient().grant(60)).getID();
      await(client.getKVClient().put(bytes("j/lease"), bytes("v"), PutOption.builder().withLeaseId(id).build()));

      assertThat(await(client.getLeaseClient().keepAliveOnce(id)).getTTL()).isEqualTo(60);
      var ttl = await(client.getLeaseClient().timeToLive(id, LeaseOption.builder().withAttachedKeys().build()));
      assertThat(ttl.getGrantedTTL()).isEqualTo(60);
      assertThat(ttl.getTTL()).isBetween(1L, 60L);
      assertThat(ttl.getKeys()).containsExactly(bytes("j/lease"));

      await(client.getLeaseClient().revoke(id));
      assertThat(await(client.getKVClient().get(bytes("j/lease"))).getKvs()).isEmpty();
      assertThatThrownBy(() -> await(client.getLeaseClient().revoke(id)))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("etcdserver: requested lease not found");
    }
  }

  @Test
  void clusterMemberListAndMaintenanceStatusHashKv() throws Exception {
    try (Client client = client()) {
      var members = await(client.getClusterClient().listMember()).getMembers();
      assertThat(members).hasSize(3);
      assertThat(members).allSatisfy(m -> assertThat(m.getClientURIs()).isNotEmpty());

      long leaders = 0;
      for (String endpoint : cluster.clientEndpoints()) {
        var status = await(client.getMaintenanceClient().statusMember("http://" + endpoint));
        assertThat(status.getVersion()).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(status.getRaftIndex()).isPositive();
        if (status.getLeader() == status.getHeader().getMemberId()) {
          leaders++;
        }
      }
      assertThat(leaders).isEqualTo(1);

      long rev = await(client.getKVClient().put(bytes("j/hash"), bytes("v"))).getHeader().getRevision();
      List<Integer> hashes = new java.util.ArrayList<>();
      for (String endpoint : cluster.clientEndpoints()) {
        hashes.add(await(client.getMaintenanceClient().hashKV("http://" + endpoint, rev)).getHash());
      }
      assertThat(hashes).hasSize(3).containsOnly(hashes.getFirst());
    }
  }
}
