package io.kvorum.robustness.cluster;

import java.nio.file.Path;
import java.util.List;

/**
 * The etcd flag set every member is started with; etcd 3.4 and kvorum.jar both take exactly
 * these. The advertised peer URL is the member's proxy, not its real peer port.
 *
 * <pre>
 * --name m0 --data-dir .../m0/data
 * --listen-client-urls http://127.0.0.1:C --advertise-client-urls http://127.0.0.1:C
 * --listen-peer-urls http://127.0.0.1:P --initial-advertise-peer-urls http://127.0.0.1:X
 * --initial-cluster m0=http://127.0.0.1:X,m1=...,m2=... --initial-cluster-token T
 * --initial-cluster-state new|existing
 * </pre>
 */
public record MemberFlags(String name, Path dataDir, int clientPort, int peerPort, int proxyPort,
                          String initialCluster, String clusterToken, boolean existingCluster) {

    public String clientUrl() {
        return "http://127.0.0.1:" + clientPort;
    }

    /**
     * The member's own temporary directory, next to its data dir. A JVM member extracts its
     * RocksDB native library (~16 MB) to {@code java.io.tmpdir} on every start and deletes it
     * only on a clean exit; after 100 SIGKILLs in /tmp that filled the disk. Here it is wiped
     * before each start and lives under the run's work dir.
     */
    public Path tmpDir() {
        return dataDir.getParent().resolve("tmp");
    }

    public String advertisedPeerUrl() {
        return "http://127.0.0.1:" + proxyPort;
    }

    public List<String> toArgs() {
        return List.of(
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl(),
                "--advertise-client-urls", clientUrl(),
                "--listen-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls", advertisedPeerUrl(),
                "--initial-cluster", initialCluster,
                "--initial-cluster-token", clusterToken,
                "--initial-cluster-state", existingCluster ? "existing" : "new");
    }
}
