package io.kvorum.server.snapshot;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.SnapshotResponse;
import io.grpc.ManagedChannel;
import io.kvorum.raft.pb.ConfState;
import io.kvorum.raft.pb.HardState;
import io.kvorum.raft.pb.Snapshot;
import io.kvorum.raft.pb.SnapshotMetadata;
import io.kvorum.server.config.ConfigException;
import io.kvorum.server.config.FlagParser;
import io.kvorum.server.config.ServerConfig;
import io.kvorum.server.log.Log;
import io.kvorum.server.membership.ClusterMembers;
import io.kvorum.server.membership.MemberIds;
import io.kvorum.server.membership.pb.Member;
import io.kvorum.server.tls.DialFlags;
import io.kvorum.storage.DataDir;
import io.kvorum.storage.FileTrees;
import io.kvorum.storage.backend.Backend;
import io.kvorum.storage.mvcc.MvccStore;
import io.kvorum.storage.mvcc.StoreOptions;
import io.kvorum.storage.snap.BackendSnapshot;
import io.kvorum.storage.wal.Wal;
import io.kvorum.storage.wal.WalStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * {@code kvorum snapshot save|restore|status}, as {@code etcdctl snapshot}:
 *
 * <ul>
 *   <li>{@code save <file> --endpoints host:port [--cacert ca.pem --cert c.pem --key k.pem]}: streams Maintenance.Snapshot from a member
 *       (ask the leader: it has the latest data), checks the SHA-256 trailer, then renames the
 *       {@code .part} file into place; a bad stream leaves nothing behind.
 *   <li>{@code status <file>}: checks the file and prints hash, revision, total keys, size.
 *   <li>{@code restore <file> --data-dir ... --name ... --initial-cluster ...
 *       --initial-cluster-token ... --initial-advertise-peer-urls ...}: makes the data dir of a
 *       member of a <em>new</em> cluster (new ids from the token) holding the snapshot's data;
 *       run it for every member with the same cluster flags, then start them.
 * </ul>
 *
 * Returns the exit code: 0, 1 on failure, 2 on bad arguments.
 */
public final class SnapshotCommand {
  private static final Log LOG = Log.get(SnapshotCommand.class);

  private SnapshotCommand() {}

  public static int run(String[] args) {
    if (args.length < 2) {
      System.err.println("kvorum: usage: kvorum snapshot save|restore|status <file> [flags]");
      return 2;
    }
    String command = args[0];
    Path file = Path.of(args[1]);
    Map<String, String> flags;
    try {
      flags = flags(args, 2);
      return switch (command) {
        case "save" -> save(file, flags);
        case "status" -> status(file, flags);
        case "restore" -> restore(file, flags);
        default -> {
          System.err.println("kvorum: unknown snapshot command '" + command + "': use save, restore or status");
          yield 2;
        }
      };
    } catch (ConfigException e) {
      System.err.println("kvorum: " + e.getMessage());
      return 2;
    } catch (RuntimeException | IOException e) {
      System.err.println("kvorum: snapshot " + command + " failed: " + e.getMessage());
      return 1;
    }
  }

  private static Map<String, String> flags(String[] args, int from) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("-")) {
        throw new ConfigException("unexpected argument '" + a + "'");
      }
      String body = a.replaceFirst("^--?", "");
      int eq = body.indexOf('=');
      if (eq >= 0) {
        out.put(body.substring(0, eq), body.substring(eq + 1));
      } else if (i + 1 < args.length) {
        out.put(body, args[++i]);
      } else {
        throw new ConfigException("flag needs an argument: --" + body);
      }
    }
    return out;
  }

  private static int save(Path file, Map<String, String> flags) throws IOException {
    String endpoints = flags.getOrDefault("endpoints", "127.0.0.1:2379");
    String endpoint = endpoints.split(",")[0];
    if (endpoints.contains(",")) {
      throw new ConfigException("snapshot save takes exactly one endpoint, got " + endpoints);
    }
    DialFlags tls = DialFlags.from(flags);
    URI target = tls.url(endpoint);
    Duration timeout = Duration.ofMinutes(5);
    Path part = file.resolveSibling(file.getFileName() + ".part");
    LOG.info("created temporary db file", "path", part.toString());
    long start = System.nanoTime();
    ManagedChannel channel =
        tls.channels().builder(target).maxInboundMessageSize(64 << 20).build();
    try (OutputStream out = Files.newOutputStream(part)) {
      LOG.info("fetching snapshot", "endpoint", endpoint);
      Iterator<SnapshotResponse> stream =
          MaintenanceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .snapshot(SnapshotRequest.getDefaultInstance());
      while (stream.hasNext()) {
        stream.next().getBlob().writeTo(out);
      }
    } catch (RuntimeException e) {
      Files.deleteIfExists(part);
      throw e;
    } finally {
      channel.shutdownNow();
    }
    try {
      BackendSnapshot.verify(part);
    } catch (RuntimeException e) {
      Files.deleteIfExists(part);
      throw new IllegalStateException("the received snapshot is damaged (" + e.getMessage() + "); nothing was saved", e);
    }
    LOG.info("fetched snapshot", "endpoint", endpoint, "size", Files.size(part), "took", Duration.ofNanos(System.nanoTime() - start));
    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    LOG.info("saved", "path", file.toString());
    System.out.println("Snapshot saved at " + file);
    return 0;
  }

  /** What {@code status} prints. */
  record Status(String hash, long revision, long totalKeys, long totalSize) {}

  private static int status(Path file, Map<String, String> flags) throws IOException {
    Status s = inspect(file);
    String format = flags.getOrDefault("write-out", flags.getOrDefault("w", "simple"));
    switch (format) {
      case "json" ->
          System.out.printf(
              "{\"hash\":%d,\"revision\":%d,\"totalKey\":%d,\"totalSize\":%d}%n",
              Long.parseLong(s.hash(), 16), s.revision(), s.totalKeys(), s.totalSize());
      case "table" -> {
        System.out.println("+----------+----------+------------+------------+");
        System.out.println("|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |");
        System.out.println("+----------+----------+------------+------------+");
        System.out.printf("| %8s | %8d | %10d | %10s |%n", s.hash(), s.revision(), s.totalKeys(), size(s.totalSize()));
        System.out.println("+----------+----------+------------+------------+");
      }
      default -> System.out.printf("%s, %d, %d, %s%n", s.hash(), s.revision(), s.totalKeys(), size(s.totalSize()));
    }
    return 0;
  }

  static Status inspect(Path file) throws IOException {
    BackendSnapshot.verify(file);
    CRC32 crc = new CRC32();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        crc.update(buf, 0, n);
      }
    }
    Path tmp = Files.createTempDirectory("kvorum-snapshot-status");
    try {
      Path db = tmp.resolve("db");
      BackendSnapshot.restore(file, db);
      try (Backend backend = Backend.open(db);
          MvccStore store = MvccStore.open(backend, StoreOptions.defaults())) {
        long keys =
            store.range(RangeRequest.newBuilder().setKey(ByteString.copyFrom(new byte[] {0})).setRangeEnd(ByteString.copyFrom(new byte[] {0})).setCountOnly(true).build())
                .getCount();
        return new Status(String.format("%08x", crc.getValue()), store.currentRevision(), keys, Files.size(file));
      }
    } finally {
      FileTrees.deleteRecursively(tmp);
    }
  }

  private static int restore(Path file, Map<String, String> flags) throws IOException {
    List<String> serverArgs = new ArrayList<>();
    for (String name : List.of("name", "data-dir", "initial-cluster", "initial-cluster-token", "initial-advertise-peer-urls")) {
      if (flags.containsKey(name)) {
        serverArgs.add("--" + name + "=" + flags.get(name));
      }
    }
    for (String name : flags.keySet()) {
      if (!List.of("name", "data-dir", "initial-cluster", "initial-cluster-token", "initial-advertise-peer-urls", "skip-hash-check").contains(name)) {
        throw new ConfigException("snapshot restore: unknown flag --" + name);
      }
    }
    ServerConfig config = FlagParser.parse(serverArgs.toArray(String[]::new), Map.of());
    DataDir dataDir = new DataDir(config.dataDir());
    if (Files.exists(dataDir.memberDir())) {
      throw new ConfigException("data-dir " + config.dataDir() + " already has a member; restore into a new directory");
    }
    ClusterMembers members = ClusterMembers.fromInitialCluster(config.initialCluster(), config.initialClusterToken());
    long memberId = MemberIds.memberId(config.initialAdvertisePeerUrls(), config.initialClusterToken(), null);
    LOG.info("restoring snapshot", "path", file.toString(), "data-dir", config.dataDir().toString(), "member-id", Long.toHexString(memberId), "cluster-id", Long.toHexString(members.clusterId()));

    Files.createDirectories(dataDir.memberDir());
    BackendSnapshot.restore(file, dataDir.dbDir());
    long consistentIndex;
    try (Backend backend = Backend.open(dataDir.dbDir());
        MvccStore store = MvccStore.open(backend, StoreOptions.defaults())) {
      consistentIndex = store.consistentIndex();
    }
    // The new cluster's log starts above the data's applied index, so nothing in the
    // backend is ever skipped or applied twice (see EtcdServer: entries <= consistent index
    // are not re-applied). Every member restored from the same file gets the same index.
    long index = Math.max(consistentIndex, members.members().size());
    ConfState conf = ConfState.newBuilder().addAllVoters(members.members().stream().map(Member::getId).toList()).build();
    Snapshot snap =
        Snapshot.newBuilder()
            .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(1).setConfState(conf))
            .setData(members.toProto().toByteString())
            .build();
    try (WalStorage wal =
        WalStorage.create(
            dataDir.walDir(),
            dataDir.snapDir(),
            ByteString.copyFrom(ByteBuffer.allocate(16).putLong(memberId).putLong(members.clusterId()).array()),
            Wal.DEFAULT_SEGMENT_BYTES)) {
      wal.applySnapshot(snap);
      wal.save(HardState.newBuilder().setTerm(1).setCommit(index).build(), List.of(), true);
    }
    LOG.info("restored snapshot", "path", file.toString(), "data-dir", config.dataDir().toString(), "snapshot-index", index);
    return 0;
  }

  private static String size(long bytes) {
    if (bytes < 1000) {
      return bytes + " B";
    }
    if (bytes < 1_000_000) {
      return String.format("%.1f kB", bytes / 1000.0);
    }
    return String.format("%.1f MB", bytes / 1_000_000.0);
  }
}
