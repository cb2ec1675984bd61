package io.kvorum.robustness.cluster;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.StatusRuntimeException;
import io.kvorum.robustness.load.Endpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A {@link ClusterUnderTest} of real member processes on 127.0.0.1, with a {@link PeerProxy}
 * in front of every peer port. The {@link MemberBinary} decides whether the members are etcd
 * or kvorum; everything else is the same.
 *
 * <p>Layout under the work dir: {@code m<i>/data} (the data dir), {@code m<i>.log} (stdout and
 * stderr of every run of the member, appended).
 */
public final class ProcessCluster implements ClusterUnderTest {

    private static final Duration ADMIN_TIMEOUT = Duration.ofMillis(800);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** How long a member may take to exit after SIGTERM before it gets SIGKILL. */
    private static final Duration GRACEFUL_STOP_TIMEOUT = Duration.ofSeconds(30);

    private final MemberBinary binary;
    private final Path workDir;
    private final Consumer<String> log;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final PeerNetwork network;
    private final Endpoints admin;

    private ProcessCluster(MemberBinary binary, int size, Path workDir, Consumer<String> log) throws IOException {
        this.binary = binary;
        this.workDir = workDir;
        this.log = log;
        this.network = new PeerNetwork(this::runningPids, log);
        deleteRecursively(workDir); // a data dir left by an earlier run names other ports and another cluster
        Files.createDirectories(workDir);
        int[] ports = freePorts(3 * size);
        String token = "robustness-" + Long.toHexString(System.nanoTime());
        String initialCluster = Stream.iterate(0, i -> i + 1).limit(size)
                .map(i -> "m" + i + "=http://127.0.0.1:" + ports[3 * i + 2]).collect(Collectors.joining(","));
        for (int i = 0; i < size; i++) {
            String name = "m" + i;
            MemberFlags flags = new MemberFlags(name, workDir.resolve(name).resolve("data"), ports[3 * i],
                    ports[3 * i + 1], ports[3 * i + 2], initialCluster, token, false);
            nodes.put(name, new Node(flags, binary, workDir.resolve(name + ".log")));
            network.addMember(name, flags.proxyPort(), flags.peerPort());
        }
        this.admin = new Endpoints(nodes.values().stream().map(n -> n.flags.clientUrl()).toList());
    }

    /** Starts {@code size} members and waits until they serve linearizable reads. */
    public static ProcessCluster start(MemberBinary binary, int size, Path workDir, Consumer<String> log,
                                       Duration startTimeout) {
        ProcessCluster cluster;
        try {
            cluster = new ProcessCluster(binary, size, workDir, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare cluster in " + workDir, e);
        }
        try {
            cluster.startAll();
            cluster.awaitHealthy(startTimeout);
            return cluster;
        } catch (RuntimeException e) {
            String diagnosis = cluster.diagnose();
            cluster.close();
            throw new IllegalStateException("cluster of " + binary.describe() + " did not start: " + e.getMessage()
                    + "\n" + diagnosis, e);
        }
    }

    @Override
    public String describe() {
        return nodes.size() + " x " + binary.describe() + " in " + workDir;
    }

    @Override
    public List<String> members() {
        return List.copyOf(nodes.keySet());
    }

    @Override
    public List<String> clientUrls() {
        return nodes.values().stream().map(n -> n.flags.clientUrl()).toList();
    }

    @Override
    public PeerNetwork network() {
        return network;
    }

    @Override
    public boolean supportsFailpoints() {
        return binary.supportsFailpoints();
    }

    // --- processes ---------------------------------------------------------------------

    @Override
    public synchronized void start(String member) {
        Node n = node(member);
        if (n.process != null && n.process.isAlive()) {
            throw new IllegalStateException(member + " is already running (pid " + n.process.pid() + ")");
        }
        try {
            Files.createDirectories(n.flags.dataDir().getParent());
            deleteRecursively(n.flags.tmpDir()); // what a killed run of this member left behind
            Files.createDirectories(n.flags.tmpDir());
            ProcessBuilder pb = new ProcessBuilder(n.binary.command(n.flags)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(n.logFile.toFile()));
            pb.environment().putAll(n.binary.environment(n.failpoints));
            n.process = pb.start();
            n.paused = false;
            log.accept("started " + member + " (pid " + n.process.pid() + (n.failpoints.isEmpty() ? "" : ", failpoints " + n.failpoints)
                    + (n.binary.equals(binary) ? "" : ", " + n.binary.describe()) + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + member + " with " + n.binary.describe(), e);
        }
    }

    @Override
    public synchronized void startAll() {
        nodes.keySet().forEach(this::start);
    }

    @Override
    public synchronized void kill(String member) {
        Node n = node(member);
        if (n.process == null || !n.process.isAlive()) {
            return;
        }
        n.process.destroyForcibly(); // SIGKILL, which also ends a SIGSTOPped process
        waitFor(n.process, member);
        n.paused = false;
        log.accept("killed " + member);
    }

    @Override
    public synchronized void killAll() {
        nodes.values().stream().filter(n -> n.process != null && n.process.isAlive()).forEach(n -> n.process.destroyForcibly());
        nodes.forEach((name, n) -> {
            if (n.process != null) {
                waitFor(n.process, name);
                n.paused = false;
            }
        });
        log.accept("killed all members");
    }

    @Override
    public synchronized boolean isRunning(String member) {
        Process p = node(member).process;
        return p != null && p.isAlive();
    }

    @Override
    public synchronized boolean isPaused(String member) {
        return isRunning(member) && node(member).paused;
    }

    @Override
    public synchronized void pause(String member) {
        signal(member, "STOP");
        node(member).paused = true;
        log.accept("paused " + member);
    }

    @Override
    public synchronized void resume(String member) {
        signal(member, "CONT");
        node(member).paused = false;
        log.accept("resumed " + member);
    }

    @Override
    public synchronized void restartWithFailpoints(String member, String failpoints) {
        if (!binary.supportsFailpoints()) {
            throw new UnsupportedOperationException(binary.describe() + " has no failpoints compiled in");
        }
        kill(member);
        node(member).failpoints = failpoints;
        start(member);
    }

    @Override
    public synchronized MemberBinary binaryOf(String member) {
        return node(member).binary;
    }

    @Override
    public void restartWith(String member, MemberBinary newBinary) {
        Process p;
        synchronized (this) {
            p = node(member).process;
        }
        if (p != null && p.isAlive()) {
            p.destroy(); // SIGTERM: the member may finish what it is doing and close its files
            try {
                if (!p.waitFor(GRACEFUL_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.accept(member + " did not exit within " + GRACEFUL_STOP_TIMEOUT + " of SIGTERM: SIGKILL");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping " + member, e);
            }
            kill(member); // no-op if it exited
            log.accept("stopped " + member + " (exit code " + p.exitValue() + ")");
        }
        synchronized (this) {
            node(member).binary = newBinary;
        }
        start(member);
    }

    @Override
    public void moveLeader(String from, String to) {
        Map<String, StatusResponse> statuses = statuses();
        if (!statuses.containsKey(from) || !statuses.containsKey(to)) {
            throw new IllegalStateException("cannot move the leader from " + from + " to " + to + ": only "
                    + statuses.keySet() + " answer Status");
        }
        long target = statuses.get(to).getHeader().getMemberId();
        MaintenanceGrpc.newBlockingStub(admin.channel(members().indexOf(from))).withDeadlineAfter(15, TimeUnit.SECONDS)
                .moveLeader(MoveLeaderRequest.newBuilder().setTargetID(target).build());
        log.accept("moved the leader from " + from + " to " + to);
    }

    @Override
    public String clusterVersion(String member) {
        java.net.URI uri = java.net.URI.create(node(member).flags.clientUrl() + "/version");
        try {
            java.net.http.HttpResponse<String> r = VERSION_CLIENT.send(
                    java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            java.util.regex.Matcher m = CLUSTER_VERSION.matcher(r.body());
            return r.statusCode() == 200 && m.find() ? m.group(1) : "unreachable";
        } catch (IOException e) {
            return "unreachable";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unreachable";
        }
    }

    /** {@code {"etcdserver":"3.4.23","etcdcluster":"3.4.0"}}: the second field. */
    private static final java.util.regex.Pattern CLUSTER_VERSION = java.util.regex.Pattern.compile("\"etcdcluster\"\\s*:\\s*\"([^\"]*)\"");
    private static final java.net.http.HttpClient VERSION_CLIENT = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).version(java.net.http.HttpClient.Version.HTTP_1_1).build();

    /**
     * The member's own peer listen URL, behind its proxy: for a test that talks the peer
     * protocol itself (a peer-port fuzzer), where a proxy would only hide what the member did.
     */
    public String peerListenUrl(String member) {
        return "http://127.0.0.1:" + node(member).flags.peerPort();
    }

    @Override
    public Path workDir() {
        return workDir;
    }

    private void signal(String member, String signal) {
        Node n = node(member);
        if (n.process == null || !n.process.isAlive()) {
            throw new IllegalStateException("cannot send SIG" + signal + " to " + member + ": it is not running");
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(n.process.pid())).inheritIO().start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + n.process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill(1): is procps installed?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + member, e);
        }
    }

    private static void waitFor(Process p, String member) {
        try {
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(member + " (pid " + p.pid() + ") did not exit within " + STOP_TIMEOUT + " of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + member + " to exit", e);
        }
    }

    private Map<String, Long> runningPids() {
        Map<String, Long> pids = new HashMap<>();
        synchronized (this) {
            nodes.forEach((name, n) -> {
                if (n.process != null && n.process.isAlive()) {
                    pids.put(name, n.process.pid());
                }
            });
        }
        return pids;
    }

    // --- cluster state through the client API ---------------------------------------------

    @Override
    public Optional<String> leader() {
        return statuses().entrySet().stream()
                .filter(e -> e.getValue().getLeader() == e.getValue().getHeader().getMemberId())
                .max(Comparator.comparingLong(e -> e.getValue().getRaftTerm()))
                .map(Map.Entry::getKey);
    }

    @Override
    public String awaitLeader(Duration timeout) {
        return poll(timeout, "a leader all running members agree on", () -> {
            Map<String, StatusResponse> statuses = statuses();
            if (statuses.size() < reachableCount()) {
                return null;
            }
            long leaderId = statuses.values().iterator().next().getLeader();
            if (leaderId == 0 || statuses.values().stream().anyMatch(s -> s.getLeader() != leaderId)) {
                return null;
            }
            return statuses.entrySet().stream().filter(e -> e.getValue().getHeader().getMemberId() == leaderId)
                    .map(Map.Entry::getKey).findFirst().orElse(null);
        });
    }

    @Override
    public void awaitHealthy(Duration timeout) {
        Map<String, String> lastErrors = new java.util.concurrent.ConcurrentHashMap<>();
        try {
            poll(timeout, "every running member to serve a linearizable read", () -> {
                List<String> names = members();
                for (int i : reachable()) {
                    try {
                        KVGrpc.newBlockingStub(admin.channel(i)).withDeadlineAfter(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                                .range(RangeRequest.newBuilder().setKey(com.google.protobuf.ByteString.copyFromUtf8("health")).build());
                        lastErrors.remove(names.get(i));
                    } catch (StatusRuntimeException e) {
                        lastErrors.put(names.get(i), e.getStatus().getCode() + " " + e.getStatus().getDescription());
                        return null;
                    }
                }
                return Boolean.TRUE;
            });
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; last errors: " + lastErrors, e);
        }
    }

    @Override
    public void replace(String member) {
        Node n = node(member);
        String peerUrl = n.flags.advertisedPeerUrl();
        kill(member);
        long id = poll(Duration.ofSeconds(20), "the member list to show " + member, () -> memberList().stream()
                .filter(m -> m.getPeerURLsList().contains(peerUrl)).map(Member::getID).findFirst().orElse(null));
        poll(Duration.ofSeconds(20), "member remove of " + member, () -> adminCall(c ->
                ClusterGrpc.newBlockingStub(c).withDeadlineAfter(2, TimeUnit.SECONDS)
                        .memberRemove(MemberRemoveRequest.newBuilder().setID(id).build())));
        deleteRecursively(n.flags.dataDir());
        MemberAddResponse added = poll(Duration.ofSeconds(20), "member add of " + member, () -> adminCall(c ->
                ClusterGrpc.newBlockingStub(c).withDeadlineAfter(2, TimeUnit.SECONDS)
                        .memberAdd(MemberAddRequest.newBuilder().addPeerURLs(peerUrl).build())));
        String initialCluster = added.getMembersList().stream().flatMap(m -> m.getPeerURLsList().stream()
                        .map(url -> (m.getName().isEmpty() ? nameOfPeerUrl(url) : m.getName()) + "=" + url))
                .collect(Collectors.joining(","));
        MemberFlags f = n.flags;
        synchronized (this) {
            n.flags = new MemberFlags(f.name(), f.dataDir(), f.clientPort(), f.peerPort(), f.proxyPort(),
                    initialCluster, f.clusterToken(), true);
        }
        log.accept("replaced " + member + " (old id " + Long.toHexString(id) + ", new id "
                + Long.toHexString(added.getMember().getID()) + "), initial cluster " + initialCluster);
        start(member);
    }

    /** Per member: running or exit code, and the last lines of its log. For error messages. */
    public synchronized String diagnose() {
        StringBuilder b = new StringBuilder();
        nodes.forEach((name, n) -> {
            String state = n.process == null ? "never started"
                    : n.process.isAlive() ? "running (pid " + n.process.pid() + ")" : "exited with code " + n.process.exitValue();
            b.append("  ").append(name).append(": ").append(state).append(", log ").append(n.logFile).append('\n');
            try {
                List<String> lines = Files.exists(n.logFile) ? Files.readAllLines(n.logFile) : List.of();
                lines.subList(Math.max(0, lines.size() - 5), lines.size())
                        .forEach(l -> b.append("    | ").append(l.length() > 300 ? l.substring(0, 300) + "..." : l).append('\n'));
            } catch (IOException | UncheckedIOException e) {
                b.append("    (log unreadable: ").append(e.getMessage()).append(")\n");
            }
        });
        return b.toString();
    }

    private String nameOfPeerUrl(String url) {
        return nodes.entrySet().stream().filter(e -> e.getValue().flags.advertisedPeerUrl().equals(url))
                .map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalStateException("peer URL " + url + " belongs to no member of this cluster"));
    }

    private List<Member> memberList() {
        List<Member> members = adminCall(c -> ClusterGrpc.newBlockingStub(c)
                .withDeadlineAfter(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .memberList(MemberListRequest.getDefaultInstance()).getMembersList());
        return members == null ? List.of() : members;
    }

    /** The first answer of any reachable member, or null if none answered. */
    private <T> T adminCall(java.util.function.Function<io.grpc.ManagedChannel, T> call) {
        for (int i : reachable()) {
            try {
                return call.apply(admin.channel(i));
            } catch (StatusRuntimeException e) {
                // try the next member
            }
        }
        return null;
    }

    private Map<String, StatusResponse> statuses() {
        Map<String, StatusResponse> out = new LinkedHashMap<>();
        List<String> names = members();
        for (int i : reachable()) {
            try {
                out.put(names.get(i), MaintenanceGrpc.newBlockingStub(admin.channel(i))
                        .withDeadlineAfter(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                        .status(StatusRequest.getDefaultInstance()));
            } catch (StatusRuntimeException e) {
                // not answering (yet): not part of the picture
            }
        }
        return out;
    }

    /** Indexes of members that run and are not paused: the ones that can answer. */
    private synchronized List<Integer> reachable() {
        List<Integer> out = new ArrayList<>();
        int i = 0;
        for (Node n : nodes.values()) {
            if (n.process != null && n.process.isAlive() && !n.paused) {
                out.add(i);
            }
            i++;
        }
        return out;
    }

    private int reachableCount() {
        return reachable().size();
    }

    private static <T> T poll(Duration timeout, String what, Supplier<T> attempt) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T value = attempt.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            nodes.values().stream().filter(n -> n.process != null).forEach(n -> n.process.destroyForcibly());
            nodes.forEach((name, n) -> {
                if (n.process != null) {
                    try {
                        n.process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
        }
        network.close();
        admin.close();
    }

    private Node node(String member) {
        Node n = nodes.get(member);
        if (n == null) {
            throw new IllegalArgumentException("no member " + member + "; members are " + nodes.keySet());
        }
        return n;
    }

    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot wipe " + dir, e);
        }
    }

    /** One member's process and configuration. Guarded by the cluster's lock. */
    private static final class Node {
        MemberFlags flags;
        MemberBinary binary;
        final Path logFile;
        Process process;
        boolean paused;
        String failpoints = "";

        Node(MemberFlags flags, MemberBinary binary, Path logFile) {
            this.flags = flags;
            this.binary = binary;
            this.logFile = logFile;
        }
    }
}
