package io.kvorum.server.auth;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * etcd's simple tokens ({@code --auth-token simple}): opaque strings {@code <16 random
 * letters>.<raft index>} mapped to a user name, kept in memory by every member.
 *
 * <p>The proposer of an Authenticate entry draws the random prefix; every member applies the
 * entry and registers {@code prefix.index}, so a token works on every member once it applied
 * that index (a member that has not yet can tell from the index: see {@link #index}). A token
 * unused for {@code --auth-token-ttl} (default 300 s) expires; each use restarts its clock, as in
 * etcd. Tokens do not survive a restart, and disabling auth, deleting a user or changing its
 * password drops its tokens.
 *
 * <p>Thread-safe: applied on the Raft loop, read by request threads.
 */
public final class SimpleTokens {
  private static final String LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  private static final int PREFIX_LENGTH = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Entry(String user, long lastUsedNanos) {}

  private final long ttlNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Entry> tokens = new ConcurrentHashMap<>();

  public SimpleTokens(Duration ttl, LongSupplier nanoTime) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("--auth-token-ttl must be positive, got " + ttl.toSeconds());
    }
    this.ttlNanos = ttl.toNanos();
    this.nanoTime = nanoTime;
  }

  /** A fresh random prefix for an Authenticate entry. */
  public static String newPrefix() {
    StringBuilder s = new StringBuilder(PREFIX_LENGTH);
    for (int i = 0; i < PREFIX_LENGTH; i++) {
      s.append(LETTERS.charAt(RANDOM.nextInt(LETTERS.length())));
    }
    return s.toString();
  }

  /** Registers {@code prefix.index} for {@code user} and returns it; drops expired tokens. */
  public String assign(String prefix, long index, String user) {
    long now = nanoTime.getAsLong();
    for (Iterator<Entry> it = tokens.values().iterator(); it.hasNext(); ) {
      if (now - it.next().lastUsedNanos() > ttlNanos) {
        it.remove();
      }
    }
    String token = prefix + "." + index;
    tokens.put(token, new Entry(user, now));
    return token;
  }

  /** The user of a live token, restarting its TTL; empty if unknown or expired. */
  public Optional<String> use(String token) {
    long now = nanoTime.getAsLong();
    Entry e = tokens.computeIfPresent(token, (t, old) -> now - old.lastUsedNanos() > ttlNanos ? null : new Entry(old.user(), now));
    return e == null ? Optional.empty() : Optional.of(e.user());
  }

  public void invalidateUser(String user) {
    tokens.values().removeIf(e -> e.user().equals(user));
  }

  public void clear() {
    tokens.clear();
  }

  /** The Raft index in a well-formed simple token ({@code abc.42} → 42), or -1. */
  public static long index(String token) {
    int dot = token.lastIndexOf('.');
    if (dot <= 0 || dot == token.length() - 1) {
      return -1;
    }
    try {
      return Long.parseLong(token.substring(dot + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
