package io.kvorum.bench;

import java.util.List;

/**
 * One row of the report: what is sent, by how many clients over how many connections, and at
 * which rate.
 *
 * @param rate requests per second for all clients together; 0 means closed loop (every client
 *     sends its next request as soon as the previous one is answered)
 * @param keySpace how many distinct keys puts cycle through
 * @param watchers watch streams on one prefix (WATCH only)
 */
public record Workload(
    Kind kind,
    int clients,
    int connections,
    int keySize,
    int valueSize,
    long keySpace,
    boolean sequentialKeys,
    double rate,
    int watchers) {

  public enum Kind {
    PUT("put"),
    RANGE_LINEARIZABLE("range linearizable"),
    RANGE_SERIALIZABLE("range serializable"),
    TXN_CAS("txn cas"),
    WATCH("watch");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  public Workload {
    if (clients < 1 || connections < 1) {
      throw new IllegalArgumentException("a workload needs at least one client and connection");
    }
    if (keySize < 1 || valueSize < 0 || keySpace < 1 || rate < 0 || watchers < 0) {
      throw new IllegalArgumentException("invalid workload " + kind + ": sizes, key space, rate"
          + " and watchers must be positive");
    }
    if (kind == Kind.WATCH && (watchers < 1 || rate <= 0)) {
      throw new IllegalArgumentException("a watch workload needs watchers and a put rate");
    }
  }

  /** Connections for {@code clients}: one per 8 clients, as etcd's benchmark tool pairs them. */
  static int connectionsFor(int clients) {
    return Math.max(1, clients / 8);
  }

  public static Workload put(int clients, int keySize, int valueSize, long keySpace, boolean seq) {
    return new Workload(Kind.PUT, clients, connectionsFor(clients), keySize, valueSize, keySpace,
        seq, 0, 0);
  }

  public static Workload range(boolean linearizable, int clients) {
    return new Workload(linearizable ? Kind.RANGE_LINEARIZABLE : Kind.RANGE_SERIALIZABLE, clients,
        connectionsFor(clients), 256, 1024, 1, true, 0, 0);
  }

  /** Compare-and-swap: every client owns one key and swaps it on its last known mod revision. */
  public static Workload txnCas(int clients) {
    return new Workload(Kind.TXN_CAS, clients, connectionsFor(clients), 256, 1024, clients, true,
        0, 0);
  }

  /** {@code watchers} watch one prefix while puts arrive at {@code putsPerSecond} (open loop). */
  public static Workload watch(int watchers, double putsPerSecond) {
    int putters = 8;
    return new Workload(Kind.WATCH, putters, putters, 32, 64, Long.MAX_VALUE, true,
        putsPerSecond, watchers);
  }

  /** The workloads of issue 7, in report order. */
  public static List<Workload> standard() {
    return List.of(
        put(1, 256, 1024, 100_000, false),
        put(16, 256, 1024, 100_000, false),
        put(64, 256, 1024, 100_000, false),
        put(256, 256, 1024, 100_000, false),
        put(1, 8, 256, 100_000, true),
        put(256, 8, 256, 100_000, true),
        range(true, 1),
        range(true, 256),
        range(false, 1),
        range(false, 256),
        txnCas(64),
        watch(100, 100),
        watch(1000, 1000));
  }

  /**
   * The same requests sent open loop at {@code ratePerSecond} in total, instead of as fast as
   * the answers come back. Watch workloads keep their own put rate.
   */
  public Workload atRate(double ratePerSecond) {
    if (kind == Kind.WATCH) {
      return this;
    }
    return new Workload(kind, clients, connections, keySize, valueSize, keySpace,
        sequentialKeys, ratePerSecond, watchers);
  }

  /**
   * A short stable name for tables, CSV rows and chart axes, e.g. "put 256B/1KiB c=16", or
   * "put 256B/1KiB c=16 @500/s" when sent open loop.
   */
  public String name() {
    String rateSuffix = openLoop() ? " @" + Math.round(rate) + "/s" : "";
    return switch (kind) {
      case PUT -> "put " + bytes(keySize) + "/" + bytes(valueSize) + " c=" + clients + rateSuffix;
      case RANGE_LINEARIZABLE, RANGE_SERIALIZABLE, TXN_CAS ->
          kind.label + " c=" + clients + rateSuffix;
      case WATCH -> "watch w=" + watchers + " " + Math.round(rate) + " put/s";
    };
  }

  static String bytes(int n) {
    return n >= 1024 && n % 1024 == 0 ? (n / 1024) + "KiB" : n + "B";
  }

  public boolean openLoop() {
    return rate > 0;
  }
}
