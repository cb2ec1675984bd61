package io.kvorum.operator.member;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.maintenance.StatusResponse;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link MemberClient} over HTTP (java.net.http) and jetcd. One jetcd client per member endpoint,
 * kept in a small LRU (pods come and go with their addresses; evicted clients are closed).
 * jetcd's own retries are turned off ({@code waitForReady(false)}, every call bounded by a
 * timeout), because the reconcile loop is the retry.
 */
public final class JetcdMemberClient implements MemberClient {

  private static final int MAX_CLIENTS = 64;

  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();
  private final Duration callTimeout;
  private final Duration snapshotTimeout;
  private final Map<URI, Client> clients = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<URI, Client> eldest) {
      if (size() > MAX_CLIENTS) {
        eldest.getValue().close();
        return true;
      }
      return false;
    }
  };

  public JetcdMemberClient(Duration callTimeout, Duration snapshotTimeout) {
    this.callTimeout = callTimeout;
    this.snapshotTimeout = snapshotTimeout;
    this.http = HttpClient.newBuilder().connectTimeout(callTimeout).build();
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
      StatusResponse s = await(client(clientUrl).getMaintenanceClient().statusMember(clientUrl.toString()), callTimeout, "status", clientUrl);
      return new MemberProbe(true, server, cluster, healthy, s.getHeader().getMemberId(), s.getLeader(),
          s.getRaftAppliedIndex(), s.getHeader().getRevision(), s.isLearner(), !s.getErrorList().isEmpty());
    } catch (MemberException e) {
      return new MemberProbe(true, server, cluster, false, 0, 0, -1, 0, false, false);
    }
  }

  @Override
  public List<ClusterMember> memberList(URI via) {
    List<Member> members = await(client(via).getClusterClient().listMember(), callTimeout, "member list", via).getMembers();
    return members.stream().map(m -> new ClusterMember(m.getId(), m.getName(), m.getPeerURIs(), m.isLearner())).toList();
  }

  @Override
  public long addLearner(URI via, URI peerUrl) {
    return await(client(via).getClusterClient().addMember(List.of(peerUrl), true), callTimeout, "member add " + peerUrl, via)
        .getMember().getId();
  }

  @Override
  public void promote(URI via, long memberId) {
    await(client(via).getClusterClient().promoteMember(memberId), callTimeout, "member promote " + Long.toHexString(memberId), via);
  }

  @Override
  public void remove(URI via, long memberId) {
    await(client(via).getClusterClient().removeMember(memberId), callTimeout, "member remove " + Long.toHexString(memberId), via);
  }

  @Override
  public void moveLeader(URI leader, long toMemberId) {
    await(client(leader).getMaintenanceClient().moveLeader(toMemberId), callTimeout, "move leader to " + Long.toHexString(toMemberId), leader);
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
        await(client(leader).getMaintenanceClient().snapshot(checked), snapshotTimeout, "snapshot", leader);
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
  public synchronized void close() {
    clients.values().forEach(Client::close);
    clients.clear();
  }

  private synchronized Client client(URI endpoint) {
    return clients.computeIfAbsent(endpoint, e -> Client.builder()
        .endpoints(e)
        .connectTimeout(callTimeout)
        .waitForReady(false)
        .retryMaxAttempts(1)
        .retryMaxDuration(callTimeout)
        .maxInboundMessageSize(16 * 1024 * 1024)
        .build());
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

  private static <T> T await(CompletableFuture<T> future, Duration timeout, String what, URI member) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new MemberException(what + " on " + member + " timed out after " + timeout.toSeconds() + "s", e);
    } catch (ExecutionException e) {
      throw new MemberException(what + " on " + member + " failed: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MemberException(what + " on " + member + " interrupted", e);
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
