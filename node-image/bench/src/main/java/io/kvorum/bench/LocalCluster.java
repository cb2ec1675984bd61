package io.kvorum.bench;

import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of three members on 127.0.0.1, each a child process with its own data dir under
 * {@code root} and its output in {@code logDir}. Ports are chosen free once and kept across
 * restarts. A sampler thread follows every member's resident memory; {@link #peakRssKiB()} is the
 * highest VmHWM each member reached over all its lives.
 */
final class LocalCluster {

  static final int MEMBERS = 3;
  private static final Duration STOP_GRACE = Duration.ofSeconds(15);

  private final String label;
  private final ServerBinary binary;
  private final Path root;
  private final Path logDir;
  private final MemberFlags flags;
  private final Process[] processes = new Process[MEMBERS];
  private final long[] peakRssKiB = new long[MEMBERS];
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1)).build();
  private final Thread sampler;

  LocalCluster(String label, ServerBinary binary, Path root, Path logDir) throws IOException {
    this.label = label;
    this.binary = binary;
    this.root = Files.createDirectories(root);
    this.logDir = Files.createDirectories(logDir);
    List<Integer> ports = freePorts(2 * MEMBERS);
    this.flags = new MemberFlags(ports.subList(0, MEMBERS), ports.subList(MEMBERS, 2 * MEMBERS),
        "bench-" + label);
    this.sampler = Thread.ofPlatform().daemon().name("rss-" + label).start(this::sampleRss);
    warmUpProbes();
  }

  /**
   * Runs every kind of readiness probe once against the not yet listening ports, so class loading
   * and JIT of the HTTP and gRPC clients are not counted in the first cluster's start time.
   */
  private void warmUpProbes() {
    try {
      isHealthy(0);
      currentLeader();
      readsLinearizably(clientEndpoints().getFirst());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  List<InetSocketAddress> clientEndpoints() {
    List<InetSocketAddress> endpoints = new ArrayList<>();
    for (int port : flags.clientPorts()) {
      endpoints.add(new InetSocketAddress("127.0.0.1", port));
    }
    return endpoints;
  }

  /** Comma-separated client URLs, as etcdctl's {@code --endpoints} wants them. */
  String endpointList() {
    return String.join(",", flags.clientPorts().stream().map(MemberFlags::url).toList());
  }

  Path dataDir(int member) {
    return root.resolve(label + "-" + MemberFlags.name(member) + ".data");
  }

  /** A member's output, appended over all its lives and kept after the data is deleted. */
  Path log(int member) {
    return logDir.resolve(label + "-" + MemberFlags.name(member) + ".log");
  }

  /**
   * Starts every member and waits until the cluster serves: each member answers /health, one is
   * leader, and a linearizable read succeeds.
   *
   * @return the time from starting the first process to that point
   */
  Duration start(Duration timeout) throws IOException, InterruptedException {
    long started = System.nanoTime();
    for (int m = 0; m < MEMBERS; m++) {
      List<String> command = new ArrayList<>(binary.command());
      command.addAll(flags.forMember(m, dataDir(m)));
      processes[m] = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log(m).toFile())).start();
    }
    awaitServing(started + timeout.toNanos());
    return Duration.ofNanos(System.nanoTime() - started);
  }

  /** Stops every member (SIGTERM, then SIGKILL after a grace period), keeping its data. */
  void stop() throws InterruptedException {
    for (int m = 0; m < MEMBERS; m++) {
      if (processes[m] != null) {
        samplePeak(m);
        processes[m].destroy();
      }
    }
    for (int m = 0; m < MEMBERS; m++) {
      if (processes[m] != null) {
        if (!processes[m].waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
          System.err.println("  " + label + " " + MemberFlags.name(m) + " ignored SIGTERM for "
              + STOP_GRACE.toSeconds() + " s; killing it");
          processes[m].destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        processes[m] = null;
      }
    }
  }

  /** Peak resident memory of each member so far, in KiB. */
  synchronized long[] peakRssKiB() {
    for (int m = 0; m < MEMBERS; m++) {
      samplePeak(m);
    }
    return peakRssKiB.clone();
  }

  /** The endpoint of the current leader, found through Maintenance.Status. */
  InetSocketAddress leader(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<InetSocketAddress> leader = currentLeader();
      if (leader.isPresent()) {
        return leader.get();
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new IllegalStateException(label + ": no member reported itself leader within "
        + timeout.toSeconds() + " s");
  }

  /** The member whose Status names itself as leader, if one does right now. */
  private Optional<InetSocketAddress> currentLeader() {
    List<InetSocketAddress> endpoints = clientEndpoints();
    try (ChannelPool channels = new ChannelPool(endpoints, endpoints.size())) {
      for (int m = 0; m < endpoints.size(); m++) {
        Optional<StatusResponse> status = status(channels, m);
        if (status.isPresent() && status.get().getLeader() != 0
            && status.get().getLeader() == status.get().getHeader().getMemberId()) {
          return Optional.of(endpoints.get(m));
        }
      }
    }
    return Optional.empty();
  }

  /** A member's /version, e.g. {@code {"etcdserver":"3.4.23","etcdcluster":"3.4.0"}}. */
  String version() {
    try {
      return get(MemberFlags.url(flags.clientPorts().getFirst()) + "/version").trim();
    } catch (IOException | InterruptedException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  /** Stops the members and the memory sampler; the data dirs stay for the caller to delete. */
  void close() throws InterruptedException {
    stop();
    sampler.interrupt();
  }

  private void awaitServing(long deadline) throws InterruptedException, IOException {
    List<InetSocketAddress> endpoints = clientEndpoints();
    boolean[] healthy = new boolean[MEMBERS];
    while (System.nanoTime() < deadline) {
      failIfExited();
      boolean all = true;
      for (int m = 0; m < MEMBERS; m++) {
        healthy[m] = healthy[m] || isHealthy(m);
        all &= healthy[m];
      }
      Optional<InetSocketAddress> leader = all ? currentLeader() : Optional.empty();
      if (leader.isPresent() && readsLinearizably(leader.get())) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    throw new IllegalStateException(label + " was not serving on " + endpoints + " within the "
        + "start timeout (healthy: " + Arrays.toString(healthy) + "); see the logs in "
        + logDir);
  }

  private boolean isHealthy(int member) throws InterruptedException {
    try {
      return get(MemberFlags.url(flags.clientPorts().get(member)) + "/health")
          .replace(" ", "").contains("\"health\":\"true\"");
    } catch (IOException notYet) {
      return false;
    }
  }

  private static boolean readsLinearizably(InetSocketAddress leader) {
    try (ChannelPool channel = new ChannelPool(List.of(leader), 1)) {
      KVGrpc.newBlockingStub(channel.forClient(0)).withDeadlineAfter(2, TimeUnit.SECONDS)
          .range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("bench-probe")).build());
      return true;
    } catch (RuntimeException notYet) {
      return false;
    }
  }

  private static Optional<StatusResponse> status(ChannelPool channels, int member) {
    try {
      return Optional.of(MaintenanceGrpc.newBlockingStub(channels.forClient(member))
          .withDeadlineAfter(1, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance()));
    } catch (RuntimeException unreachable) {
      return Optional.empty();
    }
  }

  private String get(String url) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(url + " answered " + response.statusCode());
    }
    return response.body();
  }

  private void failIfExited() throws IOException {
    for (int m = 0; m < MEMBERS; m++) {
      if (processes[m] != null && !processes[m].isAlive()) {
        Path log = log(m);
        List<String> lines = Files.readAllLines(log);
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 15),
            lines.size()));
        throw new IllegalStateException(label + " " + MemberFlags.name(m) + " exited with code "
            + processes[m].exitValue() + " while starting; last lines of " + log + ":\n" + tail);
      }
    }
  }

  /** The CPU seconds the members running now have used since they started, together. */
  synchronized double cpuSeconds() {
    double total = 0;
    for (Process process : processes) {
      if (process != null && process.isAlive()) {
        total += ProcCpu.read(Long.toString(process.pid())).map(ProcCpu::cpuSeconds).orElse(0.0);
      }
    }
    return total;
  }

  private synchronized void samplePeak(int member) {
    Process process = processes[member];
    if (process != null) {
      ProcStatus.read(process.pid()).ifPresent(s ->
          peakRssKiB[member] = Math.max(peakRssKiB[member], Math.max(s.peakRssKiB(),
              s.rssKiB())));
    }
  }

  /** VmHWM already holds the peak; sampling covers a member killed before its last reading. */
  private void sampleRss() {
    while (!Thread.currentThread().isInterrupted()) {
      for (int m = 0; m < MEMBERS; m++) {
        samplePeak(m);
      }
      try {
        TimeUnit.MILLISECONDS.sleep(500);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static List<Integer> freePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find free ports on 127.0.0.1", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // the port is free again either way
        }
      }
    }
  }
}
