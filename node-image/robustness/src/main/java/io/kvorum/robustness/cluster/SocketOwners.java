package io.kvorum.robustness.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds which process owns the client end of a loopback TCP connection, from Linux's
 * {@code /proc/net/tcp*} and {@code /proc/<pid>/fd}. This is how a peer proxy tells which
 * member dialed it without understanding the member's protocol, so the same proxy works for
 * etcd and for Kvorum.
 *
 * <p>Example: member m1 (pid 4242) dials the proxy of m2 on port 40001 from port 51234. The
 * proxy sees a connection from 127.0.0.1:51234; {@code /proc/net/tcp} has a line with local
 * port 51234 (hex C822) and remote port 40001 and inode 99; {@code /proc/4242/fd/17} links to
 * {@code socket:[99]}; so the connection is m1's.
 */
final class SocketOwners {

    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private SocketOwners() {
    }

    /**
     * The name of the process in {@code candidates} (name to pid) whose socket has local port
     * {@code localPort} and is connected to {@code remotePort}; empty when none (for example an
     * etcdctl, or the process exited meanwhile).
     */
    static Optional<String> owner(int localPort, int remotePort, Map<String, Long> candidates) {
        Optional<String> inode = inodeOf(localPort, remotePort);
        if (inode.isEmpty()) {
            return Optional.empty();
        }
        String link = "socket:[" + inode.get() + "]";
        for (var e : candidates.entrySet()) {
            if (ownsSocket(e.getValue(), link)) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> inodeOf(int localPort, int remotePort) {
        String local = String.format(":%04X", localPort);
        String remote = String.format(":%04X", remotePort);
        for (Path table : TABLES) {
            try {
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.trim().split("\\s+");
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
                    if (f.length > 9 && f[1].endsWith(local) && f[2].endsWith(remote)) {
                        return Optional.of(f[9]);
                    }
                }
            } catch (IOException e) {
                // no IPv6 table on this kernel, or not Linux: try the next one
            }
        }
        return Optional.empty();
    }

    private static boolean ownsSocket(long pid, String link) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals(link);
                } catch (IOException e) {
                    return false; // the descriptor was closed while we looked
                }
            });
        } catch (IOException e) {
            return false; // the process exited
        }
    }
}
