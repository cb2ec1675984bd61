package io.kvorum.server.auth;

import io.kvorum.server.log.Log;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Logs failed authentications at a bounded rate: the first failure after a quiet {@code
 * interval} is logged at once; the failures that follow within the interval are only counted,
 * and the next line says how many there were and for which users (at most {@value
 * #MAX_USERS_NAMED} names). Passwords are never logged. Example, with a 10 s interval and a
 * client guessing passwords 1000 times a second: one line every 10 s, each with {@code
 * "failures":10000}, instead of 1000 lines a second.
 */
final class FailedAuthLog {
  static final int MAX_USERS_NAMED = 10;
  private static final Log LOG = Log.get(FailedAuthLog.class);

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private long lastLineNanos;
  private boolean logged;
  private long unlogged;
  private final Set<String> unloggedUsers = new LinkedHashSet<>();

  FailedAuthLog(Duration interval, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
  }

  /** Records one failure; returns whether a log line was written for it. */
  synchronized boolean failed(String user, String reason) {
    unlogged++;
    if (unloggedUsers.size() < MAX_USERS_NAMED) {
      unloggedUsers.add(user);
    }
    long now = nanoTime.getAsLong();
    if (logged && now - lastLineNanos < intervalNanos) {
      return false;
    }
    LOG.warn(
        "invalid authentication was requested",
        "user", user,
        "error", reason,
        "failures", unlogged,
        "users", String.join(",", unloggedUsers),
        "interval", Duration.ofNanos(intervalNanos));
    logged = true;
    lastLineNanos = now;
    unlogged = 0;
    unloggedUsers.clear();
    return true;
  }
}
