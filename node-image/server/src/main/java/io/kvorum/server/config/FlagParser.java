package io.kvorum.server.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns etcd's command line and {@code ETCD_*} environment into a checked {@link ServerConfig}.
 *
 * <p>Syntax is Go's {@code flag} package, which etcd uses: {@code -name x}, {@code --name x},
 * {@code --name=x}; a boolean flag alone means true. Every flag {@code --foo-bar} may instead
 * come from {@code ETCD_FOO_BAR}; a flag on the command line wins over the variable (and the
 * shadowing is reported as a warning, as etcd does).
 *
 * <p>Flags etcd has but kvorum does not implement are accepted and reported in {@link
 * ServerConfig#warnings()} so an etcd script keeps running.
 *
 * <p>TLS follows etcd: {@code https://} URLs need a certificate for their port ({@code
 * --cert-file}/{@code --key-file} or {@code --auto-tls}, and the {@code --peer-} variants for
 * peer URLs), a certificate needs its key, and {@code --client-cert-auth} needs {@code
 * --trusted-ca-file}. An inconsistent set stops the start instead of serving plaintext where
 * TLS was asked for.
 *
 * <p>Every problem is a {@link ConfigException} whose message is the one line the user sees.
 */
public final class FlagParser {

  /** The defaults etcd uses; the data dir defaults to {@code <name>.etcd}. */
  static final long DEFAULT_QUOTA_BYTES = 2L * 1024 * 1024 * 1024;

  private static final long MAX_QUOTA_WARN_BYTES = 8L * 1024 * 1024 * 1024;

  private enum Kind {
    STRING,
    BOOL
  }

  private record Flag(String name, Kind kind, String defaultValue, String help) {}

  private static final Map<String, Flag> FLAGS = new LinkedHashMap<>();

  /** Flags of etcd that kvorum accepts and ignores with a warning. */
  private static final Map<String, Kind> IGNORED = new TreeMap<>();

  static {
    flag("name", "default", "Human-readable name for this member.");
    flag("data-dir", "", "Path to the data directory (default: <name>.etcd).");
    flag("listen-client-urls", "http://localhost:2379", "URLs to listen on for client traffic.");
    flag("advertise-client-urls", "http://localhost:2379", "Client URLs to advertise to the rest of the cluster.");
    flag(
        "listen-metrics-urls",
        "",
        "More URLs to listen on that answer only /metrics, /health, /livez, /readyz and /version (an http:// one asks"
            + " for no client certificate: for probes and scrapers).");
    flag("listen-peer-urls", "http://localhost:2380", "URLs to listen on for peer traffic.");
    flag("initial-advertise-peer-urls", "http://localhost:2380", "This member's peer URLs to advertise to the rest of the cluster.");
    flag("initial-cluster", "", "Initial cluster configuration for bootstrapping, name=peerURL,... (default: <name>=<initial-advertise-peer-urls>).");
    flag("initial-cluster-token", "etcd-cluster", "Initial cluster token for the cluster during bootstrap.");
    flag("initial-cluster-state", "new", "Initial cluster state: 'new' or 'existing'.");
    flag("logger", "zap", "Logger: 'zap' (structured JSON lines; 'capnslog' is accepted and means zap).");
    flag("log-outputs", "default", "Where to write logs: 'default' (stderr), 'stderr', 'stdout' or file paths, comma-separated.");
    flag("log-level", "info", "Log level: debug, info, warn, error.");
    flag("quota-backend-bytes", "0", "Raise the NOSPACE alarm when the backend exceeds this many bytes (0: 2 GiB).");
    flag("snapshot-count", "100000", "Applied entries between two snapshots (and WAL compactions).");
    flag("snapshot-log-bytes", "0", "Kvorum: also snapshot when the applied Raft log held in memory reaches this many bytes (0: a quarter of the JVM's maximum heap).");
    flag("heartbeat-interval", "100", "Time (in milliseconds) of a heartbeat interval.");
    flag("election-timeout", "1000", "Time (in milliseconds) for an election to timeout.");
    flag("max-request-bytes", "1572864", "Maximum client request size in bytes the server will accept.");
    flag("max-concurrent-streams", "4294967295", "Maximum concurrent streams (watches, keep-alives, calls) per client connection.");
    flag("auth-token", "simple", "Auth token type: 'simple' (JWT is not supported).");
    flag("auth-token-ttl", "300", "Seconds an unused simple token stays valid.");
    flag("bcrypt-cost", "10", "bcrypt cost for hashing user passwords (4-31).");
    flag("max-watchers", "100000", "Maximum watchers on this member across all streams (0: no limit).");
    flag("cert-file", "", "Path to the client server TLS cert file (PEM).");
    flag("key-file", "", "Path to the client server TLS key file (PEM).");
    flag("trusted-ca-file", "", "Path to the client server TLS trusted CA cert file (PEM).");
    boolFlag("client-cert-auth", "Enable client cert authentication (needs --trusted-ca-file).");
    boolFlag("auto-tls", "Client TLS using generated certificates (in <data-dir>/fixtures/client).");
    flag("peer-cert-file", "", "Path to the peer server TLS cert file (PEM).");
    flag("peer-key-file", "", "Path to the peer server TLS key file (PEM).");
    flag("peer-trusted-ca-file", "", "Path to the peer server TLS trusted CA file (PEM).");
    boolFlag("peer-client-cert-auth", "Enable peer client cert authentication (needs --peer-trusted-ca-file).");
    boolFlag("peer-auto-tls", "Peer TLS using generated certificates (in <data-dir>/fixtures/peer).");

    for (String name :
        List.of(
            "auto-compaction-retention",
            "auto-compaction-mode",
            "max-snapshots",
            "max-wals",
            "metrics",
            "grpc-keepalive-min-time",
            "grpc-keepalive-interval",
            "grpc-keepalive-timeout",
            "cors",
            "host-whitelist",
            "backend-batch-interval",
            "backend-batch-limit",
            "max-txn-ops",
            "wal-dir",
            "discovery-srv",
            "proxy",
            "experimental-backend-bbolt-freelist-type",
            "experimental-compaction-batch-limit",
            "experimental-peer-skip-client-san-verification",
            "log-package-levels",
            "log-output")) {
      IGNORED.put(name, Kind.STRING);
    }
    for (String name :
        List.of(
            "enable-v2",
            "strict-reconfig-check",
            "enable-pprof",
            "pre-vote",
            "enable-grpc-gateway",
            "experimental-initial-corrupt-check",
            "experimental-enable-v2v3",
            "debug")) {
      IGNORED.put(name, Kind.BOOL);
    }
  }

  private static void flag(String name, String defaultValue, String help) {
    FLAGS.put(name, new Flag(name, Kind.STRING, defaultValue, help));
  }

  private static void boolFlag(String name, String help) {
    FLAGS.put(name, new Flag(name, Kind.BOOL, "false", help));
  }

  private FlagParser() {}

  /** The environment variable etcd reads for a flag: {@code initial-cluster} → {@code ETCD_INITIAL_CLUSTER}. */
  public static String envName(String flag) {
    return "ETCD_" + flag.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The usage text for {@code --help}. */
  public static String usage() {
    StringBuilder out = new StringBuilder();
    out.append("Usage: kvorum [flags]\n")
        .append("       kvorum snapshot save|restore|status ...\n")
        .append("       kvorum downgrade ...\n")
        .append("       kvorum aot-training      (run under -XX:AOTCacheOutput=FILE to train the JVM's AOT cache)\n")
        .append("       kvorum version\n\nFlags (each also read from ETCD_<FLAG> in the environment):\n");
    for (Flag f : FLAGS.values()) {
      out.append(String.format("  --%-30s %s%n", f.name(), f.help()));
      if (!f.defaultValue().isEmpty()) {
        out.append(String.format("  %-32s (default \"%s\")%n", "", f.defaultValue()));
      }
    }
    out.append("\nAccepted for compatibility with etcd and ignored: --")
        .append(String.join(", --", IGNORED.keySet()))
        .append('\n');
    return out.toString();
  }

  /** Whether the command line asks for help ({@code -h}, {@code --help}). */
  public static boolean wantsHelp(String[] args) {
    for (String arg : args) {
      if (arg.equals("-h") || arg.equals("--help") || arg.equals("-help")) {
        return true;
      }
    }
    return false;
  }

  public static ServerConfig parse(String[] args, Map<String, String> env) {
    List<String> warnings = new ArrayList<>();
    Map<String, String> values = new LinkedHashMap<>();
    Set<String> fromCommandLine = new HashSet<>();

    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
        throw new ConfigException(
            "unexpected argument '" + arg + "': flags look like --name=value (run 'kvorum --help')");
      }
      String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
      String name = body;
      String value = null;
      int eq = body.indexOf('=');
      if (eq >= 0) {
        name = body.substring(0, eq);
        value = body.substring(eq + 1);
      }
      Kind kind = kindOf(name);
      if (kind == Kind.BOOL) {
        value = value == null ? "true" : value;
      } else if (value == null) {
        if (i + 1 >= args.length) {
          throw new ConfigException("flag needs an argument: --" + name);
        }
        value = args[++i];
      }
      if (!fromCommandLine.add(name) && FLAGS.containsKey(name)) {
        throw new ConfigException("flag --" + name + " given twice; give it once");
      }
      values.put(name, value);
    }

    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String var = e.getKey();
      if (!var.startsWith("ETCD_") || var.startsWith("ETCDCTL_")) {
        continue;
      }
      String name = var.substring(5).toLowerCase(Locale.ROOT).replace('_', '-');
      if (!FLAGS.containsKey(name) && !IGNORED.containsKey(name)) {
        warnings.add("unrecognized environment variable " + var);
        continue;
      }
      if (fromCommandLine.contains(name)) {
        warnings.add("environment variable " + var + " is shadowed by the flag --" + name);
        continue;
      }
      values.put(name, e.getValue());
    }

    for (Map.Entry<String, String> e : values.entrySet()) {
      if (IGNORED.containsKey(e.getKey())) {
        warnings.add("flag --" + e.getKey() + " is accepted for compatibility with etcd and ignored");
      }
    }
    return build(values, warnings);
  }

  private static Kind kindOf(String name) {
    if (FLAGS.containsKey(name)) {
      return FLAGS.get(name).kind();
    }
    if (IGNORED.containsKey(name)) {
      return IGNORED.get(name);
    }
    throw new ConfigException("unknown flag: --" + name + " (run 'kvorum --help' for the flags kvorum knows)");
  }

  private static ServerConfig build(Map<String, String> values, List<String> warnings) {
    String name = get(values, "name");
    if (name.isBlank()) {
      throw new ConfigException("--name must not be empty");
    }
    String dataDir = get(values, "data-dir");
    if (dataDir.isEmpty()) {
      dataDir = name + ".etcd";
    }
    List<URI> listenClient = urls(values, "listen-client-urls");
    List<URI> listenMetrics = get(values, "listen-metrics-urls").isEmpty() ? List.of() : urls(values, "listen-metrics-urls");
    List<URI> advertiseClient = urls(values, "advertise-client-urls");
    List<URI> listenPeer = urls(values, "listen-peer-urls");
    List<URI> advertisePeer = urls(values, "initial-advertise-peer-urls");

    String clusterFlag = get(values, "initial-cluster");
    if (clusterFlag.isEmpty()) {
      List<String> own = new ArrayList<>();
      advertisePeer.forEach(u -> own.add(name + "=" + u));
      clusterFlag = String.join(",", own);
    }
    Map<String, List<URI>> cluster = parseInitialCluster(clusterFlag);

    ServerConfig.ClusterState state =
        switch (get(values, "initial-cluster-state")) {
          case "new" -> ServerConfig.ClusterState.NEW;
          case "existing" -> ServerConfig.ClusterState.EXISTING;
          default ->
              throw new ConfigException(
                  "--initial-cluster-state must be 'new' or 'existing', got '"
                      + get(values, "initial-cluster-state")
                      + "'");
        };
    checkOwnEntry(name, cluster, advertisePeer);

    String token = get(values, "initial-cluster-token");
    if (token.isEmpty()) {
      throw new ConfigException("--initial-cluster-token must not be empty");
    }

    String logger = get(values, "logger");
    if (logger.equals("capnslog")) {
      warnings.add("--logger=capnslog is deprecated in etcd 3.5; kvorum writes zap-style JSON lines");
    } else if (!logger.equals("zap")) {
      throw new ConfigException("--logger must be 'zap', got '" + logger + "'");
    }
    List<String> outputs = new ArrayList<>();
    for (String out : get(values, "log-outputs").split(",")) {
      String o = out.trim();
      if (o.isEmpty()) {
        throw new ConfigException("--log-outputs has an empty entry: give stderr, stdout or file paths separated by commas");
      }
      outputs.add(o.equals("default") ? "stderr" : o);
    }
    String level = get(values, "log-level").toLowerCase(Locale.ROOT);
    if (!Set.of("debug", "info", "warn", "error", "panic", "fatal").contains(level)) {
      throw new ConfigException("--log-level must be one of debug, info, warn, error; got '" + level + "'");
    }

    long quota = longValue(values, "quota-backend-bytes", 0);
    if (quota == 0) {
      quota = DEFAULT_QUOTA_BYTES;
    } else if (quota > MAX_QUOTA_WARN_BYTES) {
      warnings.add("--quota-backend-bytes " + quota + " exceeds the suggested maximum of 8 GiB");
    }
    long snapshotCount = longValue(values, "snapshot-count", 1);
    long snapshotLogBytes = longValue(values, "snapshot-log-bytes", 0);
    if (snapshotLogBytes == 0) {
      snapshotLogBytes = Runtime.getRuntime().maxMemory() / 4;
    }
    long heartbeat = longValue(values, "heartbeat-interval", 1);
    long election = longValue(values, "election-timeout", 1);
    if (election < 5 * heartbeat) {
      throw new ConfigException(
          "--election-timeout["
              + election
              + "ms] should be at least 5 times --heartbeat-interval["
              + heartbeat
              + "ms]");
    }
    if (election > 50_000) {
      throw new ConfigException("--election-timeout[" + election + "ms] is too long, and should be set less than 50000ms");
    }
    long maxRequest = longValue(values, "max-request-bytes", 1);
    long maxStreams = longValue(values, "max-concurrent-streams", 1);
    if (maxStreams > 0xFFFF_FFFFL) {
      throw new ConfigException("--max-concurrent-streams must be at most 4294967295, got " + maxStreams);
    }
    String tokenType = get(values, "auth-token");
    if (!tokenType.equals("simple")) {
      throw new ConfigException("--auth-token '" + tokenType + "': kvorum supports only simple tokens; use --auth-token simple");
    }
    long tokenTtl = longValue(values, "auth-token-ttl", 1);
    long bcryptCost = longValue(values, "bcrypt-cost", 4);
    if (bcryptCost > 31) {
      throw new ConfigException("--bcrypt-cost must be between 4 and 31, got " + bcryptCost);
    }
    long maxWatchers = longValue(values, "max-watchers", 0);
    if (maxWatchers > Integer.MAX_VALUE) {
      throw new ConfigException("--max-watchers must be below 2^31, got " + maxWatchers);
    }
    if (maxRequest > Integer.MAX_VALUE) {
      throw new ConfigException("--max-request-bytes must be below 2 GiB, got " + maxRequest);
    }
    TlsInfo clientTls = tlsInfo(values, "", warnings);
    TlsInfo peerTls = tlsInfo(values, "peer-", warnings);
    requireTlsForHttps(clientTls, "", Map.of("--listen-client-urls", listenClient, "--listen-metrics-urls", listenMetrics), warnings);
    requireTlsForHttps(
        peerTls,
        "peer-",
        Map.of(
            "--listen-peer-urls", listenPeer,
            "--initial-advertise-peer-urls", advertisePeer,
            "--initial-cluster", cluster.values().stream().flatMap(List::stream).toList()),
        warnings);

    return new ServerConfig(
        name,
        Path.of(dataDir),
        listenClient,
        advertiseClient,
        listenMetrics,
        listenPeer,
        advertisePeer,
        cluster,
        token,
        state,
        level.equals("panic") || level.equals("fatal") ? "error" : level,
        List.copyOf(outputs),
        quota,
        snapshotCount,
        snapshotLogBytes,
        Duration.ofMillis(heartbeat),
        Duration.ofMillis(election),
        (int) maxRequest,
        clientTls,
        peerTls,
        Duration.ofSeconds(tokenTtl),
        (int) bcryptCost,
        maxStreams,
        (int) maxWatchers,
        List.copyOf(warnings));
  }

  private static String get(Map<String, String> values, String flag) {
    String v = values.get(flag);
    return v != null ? v.trim() : FLAGS.get(flag).defaultValue();
  }

  private static boolean boolValue(Map<String, String> values, String flag) {
    String raw = get(values, flag).toLowerCase(Locale.ROOT);
    return switch (raw) {
      case "true", "t", "1" -> true;
      case "false", "f", "0", "" -> false;
      default -> throw new ConfigException("--" + flag + " must be true or false, got '" + raw + "'");
    };
  }

  /**
   * The TLS settings of one port; {@code prefix} is {@code ""} (client) or {@code "peer-"}.
   * E.g. {@code --cert-file a.pem} alone fails: the key is missing.
   */
  private static TlsInfo tlsInfo(Map<String, String> values, String prefix, List<String> warnings) {
    String cert = get(values, prefix + "cert-file");
    String key = get(values, prefix + "key-file");
    String ca = get(values, prefix + "trusted-ca-file");
    boolean clientCertAuth = boolValue(values, prefix + "client-cert-auth");
    boolean autoTls = boolValue(values, prefix + "auto-tls");
    if (cert.isEmpty() != key.isEmpty()) {
      String given = cert.isEmpty() ? "key-file" : "cert-file";
      String missing = cert.isEmpty() ? "cert-file" : "key-file";
      throw new ConfigException(
          "--" + prefix + given + " is set but --" + prefix + missing + " is not; give both the certificate and its private key");
    }
    if (clientCertAuth && ca.isEmpty()) {
      throw new ConfigException(
          "--"
              + prefix
              + "client-cert-auth needs --"
              + prefix
              + "trusted-ca-file, the CA that signed the "
              + (prefix.isEmpty() ? "clients'" : "members'")
              + " certificates");
    }
    if (autoTls && !cert.isEmpty()) {
      warnings.add("ignoring --" + prefix + "auto-tls since --" + prefix + "cert-file and --" + prefix + "key-file are given");
      autoTls = false;
    }
    return new TlsInfo(
        readableFile(prefix + "cert-file", cert),
        readableFile(prefix + "key-file", key),
        readableFile(prefix + "trusted-ca-file", ca),
        clientCertAuth,
        autoTls);
  }

  private static Path readableFile(String flag, String raw) {
    if (raw.isEmpty()) {
      return null;
    }
    Path p = Path.of(raw);
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new ConfigException("--" + flag + ": cannot read '" + raw + "' (no such file, or not readable)");
    }
    return p;
  }

  /** An {@code https} URL needs a certificate for its port; a certificate without one is unused. */
  private static void requireTlsForHttps(
      TlsInfo tls, String prefix, Map<String, List<URI>> urlsByFlag, List<String> warnings) {
    boolean anyHttps = false;
    for (Map.Entry<String, List<URI>> e : new TreeMap<>(urlsByFlag).entrySet()) {
      for (URI u : e.getValue()) {
        if (!"https".equals(u.getScheme())) {
          continue;
        }
        anyHttps = true;
        if (!tls.enabled()) {
          throw new ConfigException(
              e.getKey()
                  + ": '"
                  + u
                  + "' is https but no certificate is configured: give --"
                  + prefix
                  + "cert-file and --"
                  + prefix
                  + "key-file, or --"
                  + prefix
                  + "auto-tls");
        }
      }
    }
    if (tls.enabled() && !anyHttps) {
      warnings.add(
          "--"
              + prefix
              + (tls.autoTls() ? "auto-tls" : "cert-file")
              + " is set but no "
              + (prefix.isEmpty() ? "--listen-client-urls" : "peer URL")
              + " is https; the port serves plaintext");
    }
  }

  private static long longValue(Map<String, String> values, String flag, long min) {
    String raw = get(values, flag);
    long v;
    try {
      v = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException("--" + flag + " must be a whole number, got '" + raw + "'");
    }
    if (v < min) {
      throw new ConfigException("--" + flag + " must be at least " + min + ", got " + v);
    }
    return v;
  }

  private static List<URI> urls(Map<String, String> values, String flag) {
    List<URI> out = new ArrayList<>();
    for (String raw : get(values, flag).split(",")) {
      out.add(url("--" + flag, raw.trim()));
    }
    return List.copyOf(out);
  }

  /** One http or https URL with host and port, e.g. {@code https://127.0.0.1:2380}. */
  static URI url(String where, String raw) {
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw new ConfigException(where + ": '" + raw + "' is not a URL (expected http://host:port or https://host:port)");
    }
    String scheme = uri.getScheme();
    if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null || uri.getPort() < 0) {
      throw new ConfigException(where + ": '" + raw + "' is not a URL of the form http://host:port or https://host:port");
    }
    String path = uri.getPath();
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      throw new ConfigException(where + ": '" + raw + "' must not have a path");
    }
    return URI.create(scheme + "://" + uri.getHost() + ":" + uri.getPort());
  }

  /** {@code s1=http://a:2380,s1=http://b:2380,s2=...}: a name may repeat to list several URLs. */
  static Map<String, List<URI>> parseInitialCluster(String raw) {
    Map<String, List<URI>> cluster = new LinkedHashMap<>();
    Set<URI> seen = new HashSet<>();
    for (String entry : raw.split(",")) {
      String e = entry.trim();
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new ConfigException(
            "--initial-cluster: entry '" + e + "' is not name=http://host:port");
      }
      URI u = url("--initial-cluster", e.substring(eq + 1).trim());
      if (!seen.add(u)) {
        throw new ConfigException("--initial-cluster has duplicate url " + u);
      }
      cluster.computeIfAbsent(e.substring(0, eq).trim(), k -> new ArrayList<>()).add(u);
    }
    Map<String, List<URI>> frozen = new LinkedHashMap<>();
    cluster.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    return java.util.Collections.unmodifiableMap(frozen);
  }

  private static void checkOwnEntry(String name, Map<String, List<URI>> cluster, List<URI> advertise) {
    List<URI> own = cluster.get(name);
    if (own == null) {
      throw new ConfigException(
          "couldn't find local name \"" + name + "\" in the initial cluster configuration (--initial-cluster " + cluster.keySet() + ")");
    }
    if (!new LinkedHashSet<>(own).equals(new LinkedHashSet<>(advertise))) {
      throw new ConfigException(
          "--initial-cluster has "
              + name
              + "="
              + own
              + " but --initial-advertise-peer-urls is "
              + advertise
              + "; they must name the same URLs");
    }
  }
}
