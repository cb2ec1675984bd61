package io.kvorum.server.it;

import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A cluster of real kvorum processes on 127.0.0.1, started from the shaded jar named by the
 * system property {@code kvorum.jar} (failsafe sets it to {@code target/kvorum.jar}). Shared by
 * the member ITs and the client-port ITs (etcdctl, jetcd): use it rather than starting
 * processes by hand.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.start(3, tempDir)) {
 *   LocalCluster.Member leader = cluster.waitForLeader(Duration.ofSeconds(30));
 *   String endpoints = cluster.clientEndpoints();      // "127.0.0.1:41234,127.0.0.1:...,..."
 *   cluster.kill(leader);                              // SIGKILL
 *   cluster.restart(leader);                           // same data dir and ports
 *   int exit = cluster.stop(cluster.member(1), Duration.ofSeconds(20)); // SIGTERM, exit code
 * }
 * }</pre>
 *
 * <p>Every member gets free ports chosen by the OS, logs to {@code <dir>/<name>.log} ({@link
 * Member#logTail(int)} for failure messages), and {@link #close()} kills every process it
 * started. Extra flags (for example {@code --snapshot-count=100}) apply to every member; {@link
 * #startWith(int, Path, Map, List)} also takes environment variables (for example a different
 * {@code kvorum.jar} per member is done with {@link Member#jar(Path)} before a restart).
 */
public final class LocalCluster implements AutoCloseable {

  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(2);

  private final Path dir;
  private final List<Member> members = new ArrayList<>();
  private final List<String> extraFlags;
  private final Map<String, String> env;
  private final String token;
  private final Map<Member, ManagedChannel> channels = new ConcurrentHashMap<>();

  private LocalCluster(Path dir, List<String> extraFlags, Map<String, String> env, String token) {
    this.dir = dir;
    this.extraFlags = List.copyOf(extraFlags);
    this.env = Map.copyOf(env);
    this.token = token;
  }

  /** Starts {@code n} members of a new cluster in {@code dir}; does not wait for a leader. */
  public static LocalCluster start(int n, Path dir, String... extraFlags) {
    return startWith(n, dir, Map.of(), List.of(extraFlags));
  }

  public static LocalCluster startWith(int n, Path dir, Map<String, String> env, List<String> extraFlags) {
    return startWith(n, dir, defaultJar(), env, extraFlags);
  }

  /** Starts {@code n} members running {@code jar} (e.g. a build of another version). */
  public static LocalCluster startWith(int n, Path dir, Path jar, Map<String, String> env, List<String> extraFlags) {
    LocalCluster c = new LocalCluster(dir, extraFlags, env, "kvorum-it-" + System.nanoTime());
    for (int i = 1; i <= n; i++) {
      c.members.add(new Member("m" + i, freePort(), freePort(), dir.resolve("m" + i), jar));
    }
    for (Member m : c.members) {
      c.launch(m, "new", c.initialCluster());
    }
    return c;
  }

  /** The jar under test: {@code -Dkvorum.jar}. */
  public static Path defaultJar() {
    String jar = System.getProperty("kvorum.jar");
    if (jar == null || !Files.exists(Path.of(jar))) {
      throw new IllegalStateException("-Dkvorum.jar must name the built kvorum.jar (run through failsafe: mvn verify), got " + jar);
    }
    return Path.of(jar);
  }

  public List<Member> members() {
    return List.copyOf(members);
  }

  /** Member {@code i}, counting from 1 as the names do ({@code m1, m2, ...}). */
  public Member member(int i) {
    return members.get(i - 1);
  }

  public String token() {
    return token;
  }

  /** {@code --initial-cluster} of the members started so far. */
  public String initialCluster() {
    return members.stream().map(m -> m.name + "=" + m.peerUrl()).collect(Collectors.joining(","));
  }

  /** Client endpoints of the running members, comma-separated, as etcdctl's {@code --endpoints}. */
  public String clientEndpoints() {
    return members.stream().filter(Member::running).map(Member::clientAddress).collect(Collectors.joining(","));
  }

  /**
   * Adds a member process that joins with {@code --initial-cluster-state existing}; call
   * MemberAdd (etcdctl member add) with {@link Member#peerUrl()} of {@link #newMember()} first.
   */
  public Member newMember() {
    Member m = new Member("m" + (members.size() + 1), freePort(), freePort(), dir.resolve("m" + (members.size() + 1)), defaultJar());
    members.add(m);
    return m;
  }

  /** Starts a member made by {@link #newMember()} to join the running cluster. */
  public void join(Member m) {
    launch(m, "existing", initialCluster());
  }

  /** Starts a process for {@code m} with explicit flags (for tests of refusals); returns it. */
  public Process launchRaw(Member m, List<String> flags) {
    return launch(m, flags);
  }

  /** The flags of a normal start of {@code m}. */
  public List<String> flags(Member m, String state, String cluster, String clusterToken) {
    List<String> f = new ArrayList<>();
    f.add("--name=" + m.name);
    f.add("--data-dir=" + m.dataDir);
    f.add("--listen-client-urls=" + m.clientUrl());
    f.add("--advertise-client-urls=" + m.clientUrl());
    f.add("--listen-peer-urls=" + m.peerUrl());
    f.add("--initial-advertise-peer-urls=" + m.peerUrl());
    f.add("--initial-cluster=" + cluster);
    f.add("--initial-cluster-token=" + clusterToken);
    f.add("--initial-cluster-state=" + state);
    f.add("--heartbeat-interval=100");
    f.add("--election-timeout=1000");
    f.addAll(extraFlags);
    return f;
  }

  private void launch(Member m, String state, String cluster) {
    launch(m, flags(m, state, cluster, token));
  }

  private Process launch(Member m, List<String> flags) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx384m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-jar");
    cmd.add(m.jar.toString());
    cmd.addAll(flags);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(m.log().toFile()));
    pb.environment().putAll(env);
    try {
      Files.createDirectories(dir);
      m.process = pb.start();
      return m.process;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Restarts a stopped or killed member on its data dir (its saved state, not the flags, decides). */
  public void restart(Member m) {
    if (m.running()) {
      throw new IllegalStateException(m.name + " is still running");
    }
    launch(m, "new", initialCluster());
  }

  /** SIGKILL: no chance to flush or hand over anything. */
  public void kill(Member m) {
    if (m.process != null) {
      m.process.destroyForcibly();
      waitFor(m.process, Duration.ofSeconds(10));
    }
  }

  /** SIGTERM and wait: the member's graceful stop. Returns its exit code. */
  public int stop(Member m, Duration timeout) {
    m.process.destroy();
    if (!waitFor(m.process, timeout)) {
      m.process.destroyForcibly();
      throw new AssertionError(m.name + " did not stop within " + timeout + " after SIGTERM; log:\n" + m.logTail(40));
    }
    return m.process.exitValue();
  }

  private static boolean waitFor(Process p, Duration timeout) {
    try {
      return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Maintenance.Status of {@code m}, or empty when it does not answer within 2 s. */
  public Optional<StatusResponse> status(Member m) {
    if (!m.running()) {
      return Optional.empty();
    }
    ManagedChannel channel = channel(m);
    if (channel.getState(true) == io.grpc.ConnectivityState.TRANSIENT_FAILURE) {
      // Dialled before the member listened: retry now rather than after gRPC's growing backoff.
      channel.resetConnectBackoff();
    }
    try {
      return Optional.of(
          MaintenanceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(STATUS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .status(StatusRequest.getDefaultInstance()));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** A gRPC channel to {@code m}'s client port, closed with the cluster. */
  public ManagedChannel channel(Member m) {
    return channels.computeIfAbsent(m, x -> NettyChannelBuilder.forAddress("127.0.0.1", x.clientPort).usePlaintext().build());
  }

  /** Waits until every running member reports the same leader, and returns that member. */
  public Member waitForLeader(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      List<StatusResponse> statuses = new ArrayList<>();
      boolean all = true;
      for (Member m : members) {
        if (!m.running()) {
          continue;
        }
        Optional<StatusResponse> s = status(m);
        if (s.isEmpty() || s.get().getLeader() == 0) {
          all = false;
          break;
        }
        m.id = s.get().getHeader().getMemberId();
        statuses.add(s.get());
      }
      if (all && !statuses.isEmpty() && statuses.stream().map(StatusResponse::getLeader).distinct().count() == 1) {
        long leader = statuses.get(0).getLeader();
        Optional<Member> found = members.stream().filter(m -> m.id == leader && m.running()).findFirst();
        if (found.isPresent()) {
          return found.get();
        }
      }
      sleep(200);
    }
    throw new AssertionError("no agreed leader within " + timeout + "; logs:\n" + members.stream().map(m -> m.name + ":\n" + m.logTail(15)).collect(Collectors.joining("\n")));
  }

  /**
   * A loopback port that is free now and was never handed out before in this JVM.
   *
   * <p>Why not port 0: the OS may give the same ephemeral port to two asks in a row (it was
   * free both times, nothing bound it in between), and outgoing connections take ports from
   * the ephemeral range while a member is still starting. So ports come from below the usual
   * ephemeral range (32768+), each at most once per JVM, starting at a random offset so two
   * test JVMs rarely walk the same ports.
   */
  static int freePort() {
    for (int tries = 0; tries < 2_000; tries++) {
      int port = NEXT_PORT.getAndIncrement();
      if (port >= 32_000) {
        NEXT_PORT.set(20_000);
        continue;
      }
      try (ServerSocket s = new ServerSocket(port, 0, java.net.InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      } catch (IOException busy) {
        // taken by someone else: try the next one
      }
    }
    throw new IllegalStateException("no free loopback port in 20000-31999");
  }

  private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT =
      new java.util.concurrent.atomic.AtomicInteger(20_000 + new java.util.Random().nextInt(10_000));

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Kills every process this cluster started and closes its channels. */
  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (Member m : members) {
      if (m.process != null && m.process.isAlive()) {
        m.process.destroyForcibly();
        waitFor(m.process, Duration.ofSeconds(10));
      }
    }
  }

  /** One member: its name, ports, data dir, jar and current process. */
  public static final class Member {
    public final String name;
    public final int clientPort;
    public final int peerPort;
    public final Path dataDir;
    private Path jar;
    private volatile Process process;
    private volatile long id;

    Member(String name, int clientPort, int peerPort, Path dataDir, Path jar) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.dataDir = dataDir;
      this.jar = jar;
    }

    /** Runs the next (re)start from another jar, e.g. a build of another version. */
    public void jar(Path otherJar) {
      this.jar = otherJar;
    }

    public String clientAddress() {
      return "127.0.0.1:" + clientPort;
    }

    public String clientUrl() {
      return "http://" + clientAddress();
    }

    public String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }

    /** The member id, known once {@link LocalCluster#waitForLeader} saw the member. */
    public long id() {
      return id;
    }

    public boolean running() {
      return process != null && process.isAlive();
    }

    public Process process() {
      return process;
    }

    public Path log() {
      return dataDir.resolveSibling(name + ".log");
    }

    /** The last {@code lines} lines of the member's log, for assertion messages. */
    public String logTail(int lines) {
      try {
        List<String> all = Files.exists(log()) ? Files.readAllLines(log()) : List.of();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
      } catch (IOException e) {
        return "(cannot read " + log() + ": " + e.getMessage() + ")";
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
