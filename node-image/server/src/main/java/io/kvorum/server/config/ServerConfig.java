package io.kvorum.server.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything a member starts from, after flags, {@code ETCD_*} variables and defaults were
 * merged and checked by {@link FlagParser}. Values are etcd's, so an etcd deployment script
 * runs kvorum unchanged.
 *
 * @param listenMetricsUrls {@code --listen-metrics-urls}: more listeners that answer only the
 *     health, metrics and version endpoints, no gRPC or JSON gateway (empty: none)
 * @param initialCluster member name to its peer URLs, in flag order, e.g. {@code
 *     s1=http://127.0.0.1:2380,s2=http://127.0.0.1:22380} gives {@code {s1=[...2380],
 *     s2=[...22380]}}
 * @param logOutputs {@code stderr}, {@code stdout} or file paths
 * @param quotaBackendBytes the backend size above which the NOSPACE alarm is raised
 * @param snapshotLogBytes {@code --snapshot-log-bytes} (Kvorum's own): bytes of applied Raft log
 *     in memory that make a snapshot due before {@code --snapshot-count} entries
 * @param clientTls TLS of the client port ({@code --cert-file}, ...), {@link TlsInfo#NONE} if off
 * @param peerTls TLS of the peer port and of the connections to other members ({@code
 *     --peer-cert-file}, ...)
 * @param authTokenTtl {@code --auth-token-ttl}: an unused simple token expires after it
 * @param bcryptCost {@code --bcrypt-cost}: bcrypt cost of user password hashes
 * @param maxConcurrentStreams {@code --max-concurrent-streams}: HTTP/2 streams per client connection
 * @param maxWatchers {@code --max-watchers}: watchers on this member, 0 for no limit
 * @param warnings flags accepted for compatibility but not implemented; logged at start
 */
public record ServerConfig(
    String name,
    Path dataDir,
    List<URI> listenClientUrls,
    List<URI> advertiseClientUrls,
    List<URI> listenMetricsUrls,
    List<URI> listenPeerUrls,
    List<URI> initialAdvertisePeerUrls,
    Map<String, List<URI>> initialCluster,
    String initialClusterToken,
    ClusterState initialClusterState,
    String logLevel,
    List<String> logOutputs,
    long quotaBackendBytes,
    long snapshotCount,
    long snapshotLogBytes,
    Duration heartbeatInterval,
    Duration electionTimeout,
    int maxRequestBytes,
    TlsInfo clientTls,
    TlsInfo peerTls,
    Duration authTokenTtl,
    int bcryptCost,
    long maxConcurrentStreams,
    int maxWatchers,
    List<String> warnings) {

  /** {@code --initial-cluster-state}: bootstrap a new cluster or join an existing one. */
  public enum ClusterState {
    NEW,
    EXISTING
  }

  /** Raft ticks per election timeout: etcd's {@code election-timeout / heartbeat-interval}. */
  public int electionTicks() {
    return (int) (electionTimeout.toMillis() / heartbeatInterval.toMillis());
  }

  /** Where {@code --auto-tls} certificates live: {@code <data-dir>/fixtures/client}, as in etcd. */
  public Path autoTlsDir(boolean peer) {
    return dataDir.resolve("fixtures").resolve(peer ? "peer" : "client");
  }

  /** Where this member's own files live: {@code <data-dir>/member}, as in etcd. */
  public Path memberDir() {
    return dataDir.resolve("member");
  }
}
