package io.kvorum.operator.member;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberPromoteRequest;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MoveLeaderRequest;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.SnapshotResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import com.google.protobuf.Empty;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@link MemberClient} over HTTP (java.net.http) and the etcd v3 gRPC API, with the grpc-java
 * stubs of {@code io.etcd:jetcd-grpc}. (jetcd-core's client is not used: its 0.8 line calls
 * Vert.x 5 stubs while Quarkus runs Vert.x 4, which fails at run time with NoSuchMethodError.)
 * One channel per member endpoint (and TLS identity), kept in a small LRU (pods come and go
 * with their addresses; evicted channels are shut down). Every call has a deadline; the
 * reconcile loop is the retry.
 *
 * <p>{@link #withTls} gives a view of the same client that speaks TLS with a cluster's
 * credentials (client certificate, CA bundle; see {@link ClientTls}) on gRPC and on the HTTP
 * probes; views share the channel cache, so closing the root client closes them all.
 */
public final class GrpcMemberClient implements MemberClient {

  private static final int MAX_CHANNELS = 64;
  private static final int MAX_MESSAGE = 16 * 1024 * 1024;

  /**
   * Kvorum's {@code kvorum.v1.Serving/Drain} (the node's kvorum_serving.proto). It carries only
   * well-known types, so it is built from its name here instead of generated.
   */
  static final MethodDescriptor<com.google.protobuf.Duration, Empty> DRAIN =
      MethodDescriptor.<com.google.protobuf.Duration, Empty>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("kvorum.v1.Serving/Drain")
          .setRequestMarshaller(ProtoUtils.marshaller(com.google.protobuf.Duration.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
          .build();

  /** What every TLS view of one client shares: channels, TLS contexts and HTTP clients, each in a small LRU. */
  private static final class Connections {
    private record Key(URI endpoint, ClientTls tls) { }

    private final Map<Key, ManagedChannel> channels = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, ManagedChannel> eldest) {
        if (size() > MAX_CHANNELS) {
          eldest.getValue().shutdownNow();
          return true;
        }
        return false;
      }
    };
    private final Map<ClientTls, TlsContexts> contexts = lru(MAX_TLS_IDENTITIES);
    private final Map<ClientTls, HttpClient> https = lru(MAX_TLS_IDENTITIES);
    private final HttpClient plain;
    private final Duration connectTimeout;

    Connections(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      this.plain = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
    }

    synchronized HttpClient http(ClientTls tls) {
      return tls == null ? plain : https.computeIfAbsent(tls, t ->
          HttpClient.newBuilder().connectTimeout(connectTimeout).sslContext(contexts(t).jdk).build());
    }

    synchronized ManagedChannel channel(URI endpoint, ClientTls tls) {
      return channels.computeIfAbsent(new Key(endpoint, tls), k -> {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(endpoint.getHost(), endpoint.getPort()).maxInboundMessageSize(MAX_MESSAGE);
        return (tls == null ? b.usePlaintext() : b.sslContext(contexts(tls).netty)).build();
      });
    }

    private TlsContexts contexts(ClientTls tls) {
      return contexts.computeIfAbsent(tls, TlsContexts::new);
    }

    synchronized void close() {
      channels.values().forEach(ManagedChannel::shutdownNow);
      channels.clear();
    }

    private static <K, V> Map<K, V> lru(int max) {
      return new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
          return size() > max;
        }
      };
    }
  }

  /** Clusters whose TLS contexts are kept; more only costs rebuilding a context. */
  private static final int MAX_TLS_IDENTITIES = 32;

  private final Connections connections;
  private final ClientTls tls;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();
  private final Duration callTimeout;
  private final Duration snapshotTimeout;

  public GrpcMemberClient(Duration callTimeout, Duration snapshotTimeout) {
    this(new Connections(callTimeout), null, callTimeout, snapshotTimeout);
  }

  private GrpcMemberClient(Connections connections, ClientTls tls, Duration callTimeout, Duration snapshotTimeout) {
    this.connections = connections;
    this.tls = tls;
    this.callTimeout = callTimeout;
    this.snapshotTimeout = snapshotTimeout;
    this.http = connections.http(tls);
  }

  @Override
  public MemberClient withTls(ClientTls clusterTls) {
    return new GrpcMemberClient(connections, clusterTls, callTimeout, snapshotTimeout);
  }

  @Override
  public MemberProbe probe(URI clientUrl) {
    JsonNode version;
    try {
      version = getJson(clientUrl, "/version");
    } catch (IOException e) {
      return MemberProbe.unreachable();
    }
    boolean healthy;
    try {
      healthy = "true".equals(getJson(clientUrl, "/health").path("health").asText());
    } catch (IOException e) {
      healthy = false;
    }
    String server = version.path("etcdserver").asText(null);
    String cluster = version.path("etcdcluster").asText(null);
    try {
      StatusResponse s = call("status", clientUrl, () -> maintenance(clientUrl).status(StatusRequest.getDefaultInstance()));
      return new MemberProbe(true, server, cluster, healthy, s.getHeader().getMemberId(), s.getLeader(),
          s.getRaftAppliedIndex(), s.getHeader().getRevision(), s.getIsLearner(), s.getErrorsCount() > 0);
    } catch (MemberException e) {
      return new MemberProbe(true, server, cluster, false, 0, 0, -1, 0, false, false);
    }
  }

  @Override
  public List<ClusterMember> memberList(URI via) {
    return call("member list", via, () -> cluster(via).memberList(MemberListRequest.getDefaultInstance()))
        .getMembersList().stream()
        .map(m -> new ClusterMember(m.getID(), m.getName(), m.getPeerURLsList().stream().map(URI::create).toList(), m.getIsLearner()))
        .toList();
  }

  @Override
  public long addLearner(URI via, URI peerUrl) {
    return call("member add " + peerUrl, via, () -> cluster(via).memberAdd(
        MemberAddRequest.newBuilder().addPeerURLs(peerUrl.toString()).setIsLearner(true).build())).getMember().getID();
  }

  @Override
  public void promote(URI via, long memberId) {
    call("member promote " + Long.toHexString(memberId), via,
        () -> cluster(via).memberPromote(MemberPromoteRequest.newBuilder().setID(memberId).build()));
  }

  @Override
  public void remove(URI via, long memberId) {
    call("member remove " + Long.toHexString(memberId), via,
        () -> cluster(via).memberRemove(MemberRemoveRequest.newBuilder().setID(memberId).build()));
  }

  @Override
  public void moveLeader(URI leader, long toMemberId) {
    call("move leader to " + Long.toHexString(toMemberId), leader,
        () -> maintenance(leader).moveLeader(MoveLeaderRequest.newBuilder().setTargetID(toMemberId).build()));
  }

  @Override
  public boolean drain(URI member, Duration duration) {
    var request = com.google.protobuf.Duration.newBuilder().setSeconds(duration.toSeconds()).setNanos(duration.toNanosPart()).build();
    try {
      call("drain for " + duration.toSeconds() + " s", member, () -> ClientCalls.blockingUnaryCall(channel(member), DRAIN,
          CallOptions.DEFAULT.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS), request));
      return true;
    } catch (MemberException e) {
      if (e.getCause() instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public SnapshotResult snapshot(URI leader, Path target) {
    long revision = probe(leader).revision();
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try {
      Files.createDirectories(target.getParent());
      String sha;
      long size;
      try (OutputStream file = Files.newOutputStream(partial); Sha256TrailerStream checked = new Sha256TrailerStream(file)) {
        Iterator<SnapshotResponse> chunks = call("snapshot", leader, () -> MaintenanceGrpc.newBlockingStub(channel(leader))
            .withMaxInboundMessageSize(MAX_MESSAGE)
            .withDeadlineAfter(snapshotTimeout.toMillis(), TimeUnit.MILLISECONDS)
            .snapshot(SnapshotRequest.getDefaultInstance()));
        while (call("snapshot stream", leader, chunks::hasNext)) {
          checked.write(chunks.next().getBlob().toByteArray());
        }
        checked.flush();
        sha = checked.verify();
        size = checked.size();
      }
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      return new SnapshotResult(target, size, sha, revision);
    } catch (IOException e) {
      deleteQuietly(partial);
      throw new MemberException("snapshot from " + leader + " into " + target + " failed: " + e.getMessage(), e);
    } catch (MemberException e) {
      deleteQuietly(partial);
      throw e;
    }
  }

  @Override
  public void close() {
    connections.close();
  }

  private ClusterGrpc.ClusterBlockingStub cluster(URI endpoint) {
    return ClusterGrpc.newBlockingStub(channel(endpoint)).withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private MaintenanceGrpc.MaintenanceBlockingStub maintenance(URI endpoint) {
    return MaintenanceGrpc.newBlockingStub(channel(endpoint)).withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private ManagedChannel channel(URI endpoint) {
    return connections.channel(endpoint, tls);
  }

  private static <T> T call(String what, URI member, Supplier<T> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      throw new MemberException(what + " on " + member + " failed: " + e.getStatus().getCode()
          + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription()), e);
    }
  }

  private JsonNode getJson(URI base, String path) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(callTimeout).GET().build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200 && !path.equals("/health")) {
        throw new IOException(path + " answered HTTP " + response.statusCode());
      }
      return json.readTree(response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // the next snapshot attempt overwrites it
    }
  }
}
