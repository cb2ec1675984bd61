package io.kvorum.storage.lease;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.kvorum.storage.EtcdException.Kind;
import io.kvorum.storage.EtcdException;
import io.kvorum.storage.KeyOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * Leases, as etcd's lessor. Grants and revokes are applied through the Raft log (so every member
 * holds the same leases and attached keys); expiry is decided only by the leader, the
 * <em>primary</em> lessor, which proposes a revoke for each lease {@link #expiredLeases(int)}
 * returns. Followers never expire anything: their leases' deadlines are "forever".
 *
 * <p>Deadlines are not replicated or persisted. On {@link #promote(long)} every lease gets a
 * fresh full TTL (plus {@code extendNanos}, the election timeout, as etcd does), so a new leader
 * never expires a lease its clients kept alive with the old one. Example: TTL 10 s, the leader
 * changes at t=7; the new leader's deadline is t=7+10+extend, not t=10.
 *
 * <p>The clock is injected ({@code nanoTime}), so tests drive time. Thread-safe: the apply loop
 * grants/revokes while gRPC threads renew and read.
 */
public final class Lessor {
  /** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
  public static final long MAX_TTL_SECONDS = 9_000_000_000L;
  /** How long an expired lease waits before it is offered again, if its revoke got lost. */
  static final long EXPIRED_RETRY_NANOS = 3_000_000_000L;
  private static final long FOREVER = Long.MAX_VALUE;

  private final LongSupplier nanoTime;
  private final long minTtlSeconds;
  private final Map<Long, Lease> leases = new HashMap<>();
  private final Map<ByteString, Long> leaseOfKey = new HashMap<>();
  private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>();
  private boolean primary;

  /**
   * @param nanoTime a monotonic clock, for example {@code System::nanoTime}
   * @param minTtlSeconds shorter TTLs are raised to this (etcd: 1.5 election timeouts, rounded up)
   */
  public Lessor(LongSupplier nanoTime, long minTtlSeconds) {
    this.nanoTime = nanoTime;
    this.minTtlSeconds = minTtlSeconds;
  }

  /** A lease as the lessor knows it. {@code keys} is a snapshot copy. */
  public record LeaseInfo(long id, long ttlSeconds, long remainingSeconds, List<ByteString> keys) {}

  private static final class Lease {
    final long id;
    final long ttlSeconds;
    long deadlineNanos = FOREVER;
    /** When an expired lease is offered again if its revoke has not been applied by then. */
    long retryNanos = FOREVER;
    final Set<ByteString> keys =
        new TreeSet<>(KeyOrder.UNSIGNED);

    Lease(long id, long ttlSeconds) {
      this.id = id;
      this.ttlSeconds = ttlSeconds;
    }
  }

  /** A heap entry; stale once the lease is gone or its deadline moved. */
  private record Deadline(long nanos, long id) implements Comparable<Deadline> {
    @Override
    public int compareTo(Deadline o) {
      return Long.compare(nanos, o.nanos);
    }
  }

  /** Validates and normalises a requested TTL: raised to the minimum, refused above the maximum. */
  public synchronized long effectiveTtl(long requestedSeconds) {
    if (requestedSeconds > MAX_TTL_SECONDS) {
      throw new EtcdException(Kind.LEASE_TTL_TOO_LARGE);
    }
    return Math.max(requestedSeconds, minTtlSeconds);
  }

  /** Applies a grant (from the log or from recovery). The TTL must be {@link #effectiveTtl}'s. */
  public synchronized void grant(long id, long ttlSeconds) {
    if (leases.containsKey(id)) {
      throw new EtcdException(Kind.LEASE_EXISTS);
    }
    Lease l = new Lease(id, ttlSeconds);
    leases.put(id, l);
    if (primary) {
      refresh(l, 0);
    }
  }

  public synchronized boolean exists(long id) {
    return leases.containsKey(id);
  }

  /** Removes a lease (revoke applied); returns the keys that were attached, in key order. */
  public synchronized List<ByteString> remove(long id) {
    Lease l = leases.remove(id);
    if (l == null) {
      throw new EtcdException(Kind.LEASE_NOT_FOUND);
    }
    for (ByteString k : l.keys) {
      leaseOfKey.remove(k);
    }
    return new ArrayList<>(l.keys);
  }

  /** The lease a key is attached to, or 0. */
  public synchronized long leaseOf(ByteString key) {
    return leaseOfKey.getOrDefault(key, 0L);
  }

  /**
   * The keys attached to a lease, in key order (empty for an unknown lease). Unlike {@link
   * #timeToLive} it answers on every member, not only the primary: the attachments are applied
   * state, and the server's permission checks at apply time need them.
   */
  public synchronized List<ByteString> keysOf(long id) {
    Lease l = leases.get(id);
    return l == null ? List.of() : new ArrayList<>(l.keys);
  }

  /** Moves {@code key} to lease {@code id} (0: no lease), detaching it from its previous one. */
  public synchronized void attach(ByteString key, long id) {
    // A request's key may be a view into the whole Raft entry it was parsed from; the lessor
    // holds the key as long as the lease, so it holds a copy of only the key.
    ByteString kept = id == 0 ? key : UnsafeByteOperations.unsafeWrap(key.toByteArray());
    Long old = id == 0 ? leaseOfKey.remove(key) : leaseOfKey.put(kept, id);
    if (old != null && old != id) {
      Lease ol = leases.get(old);
      if (ol != null) {
        ol.keys.remove(key);
      }
    }
    if (id != 0) {
      Lease l = leases.get(id);
      if (l == null) {
        leaseOfKey.remove(key);
        throw new EtcdException(Kind.LEASE_NOT_FOUND);
      }
      l.keys.add(kept);
    }
  }

  /**
   * Keep-alive, served by the leader only: restarts the lease's full TTL.
   *
   * @return the TTL in seconds
   * @throws EtcdException NOT_PRIMARY on a follower (forward to the leader), LEASE_NOT_FOUND if
   *     the lease is unknown or already expired (its revoke is on its way)
   */
  public synchronized long renew(long id) {
    if (!primary) {
      throw new EtcdException(Kind.NOT_PRIMARY);
    }
    Lease l = leases.get(id);
    if (l == null || l.deadlineNanos <= nanoTime.getAsLong()) {
      throw new EtcdException(Kind.LEASE_NOT_FOUND);
    }
    refresh(l, 0);
    return l.ttlSeconds;
  }

  /**
   * The lease with its remaining TTL; served by the leader (a follower does not know deadlines).
   *
   * @return null when the lease does not exist
   */
  public synchronized LeaseInfo timeToLive(long id) {
    if (!primary) {
      throw new EtcdException(Kind.NOT_PRIMARY);
    }
    Lease l = leases.get(id);
    if (l == null) {
      return null;
    }
    long remaining = Math.max(0, (l.deadlineNanos - nanoTime.getAsLong()) / 1_000_000_000L);
    return new LeaseInfo(l.id, l.ttlSeconds, remaining, new ArrayList<>(l.keys));
  }

  /** Every lease id, ascending. */
  public synchronized List<Long> leases() {
    List<Long> ids = new ArrayList<>(leases.keySet());
    Collections.sort(ids);
    return ids;
  }

  /**
   * Leases past their deadline, for the leader to propose revokes (at most {@code limit}).
   * A returned lease is offered again after a few seconds if its revoke has not been applied.
   */
  public synchronized List<Long> expiredLeases(int limit) {
    List<Long> out = new ArrayList<>();
    if (!primary) {
      return out;
    }
    long now = nanoTime.getAsLong();
    while (out.size() < limit && !deadlines.isEmpty() && deadlines.peek().nanos <= now) {
      Deadline d = deadlines.poll();
      Lease l = leases.get(d.id);
      if (l == null || (l.deadlineNanos != d.nanos && l.retryNanos != d.nanos)) {
        continue; // revoked or renewed since
      }
      out.add(l.id);
      l.retryNanos = now + EXPIRED_RETRY_NANOS;
      deadlines.add(new Deadline(l.retryNanos, l.id));
    }
    return out;
  }

  /** Forgets every lease and attachment (the store is rebuilt from a snapshot); keeps the role. */
  public synchronized void clear() {
    leases.clear();
    leaseOfKey.clear();
    deadlines.clear();
  }

  /** This member became leader: every lease gets its full TTL from now plus {@code extendNanos}. */
  public synchronized void promote(long extendNanos) {
    primary = true;
    deadlines.clear();
    for (Lease l : leases.values()) {
      refresh(l, extendNanos);
    }
  }

  /** This member stopped being leader: nothing expires here any more. */
  public synchronized void demote() {
    primary = false;
    deadlines.clear();
    for (Lease l : leases.values()) {
      l.deadlineNanos = FOREVER;
      l.retryNanos = FOREVER;
    }
  }

  public synchronized boolean isPrimary() {
    return primary;
  }

  private void refresh(Lease l, long extendNanos) {
    l.deadlineNanos = nanoTime.getAsLong() + extendNanos + l.ttlSeconds * 1_000_000_000L;
    l.retryNanos = FOREVER;
    deadlines.add(new Deadline(l.deadlineNanos, l.id));
  }
}
