package io.kvorum.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.StatusResponse;
import io.kvorum.server.api.EtcdNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real etcdctl 3.4 (Debian {@code etcd-client}) against the client port with a recording
 * member: proves the wire (h2c, etcd's message layouts, LeaseLeases, chunked snapshot) is what
 * etcdctl expects, independently of the member. The cluster ITs test the real member.
 */
class EtcdctlWireIT {
  static RecordingEtcdNode node = new RecordingEtcdNode();
  static ClientPort port;
  static String endpoint;

  @BeforeAll
  static void start() {
    port = new ClientPort(node, List.of("http://127.0.0.1:0"), ClientPortOptions.defaults());
    port.start();
    endpoint = "127.0.0.1:" + port.boundAddresses().getFirst().getPort();
  }

  @AfterAll
  static void stop() {
    port.close();
  }

  @BeforeEach
  void reset() {
    node.reset();
  }

  record Result(int exit, String out, String err) {}

  static Result etcdctl(String... args) throws Exception {
    return etcdctlAt(endpoint, args);
  }

  static Result etcdctlAt(String endpoints, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoints,
        "--command-timeout=10s", "--dial-timeout=5s"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("ETCDCTL_API", "3");
    Process process;
    try {
      process = builder.start();
    } catch (java.io.IOException e) {
      throw new AssertionError(
          "etcdctl is not installed: apt-get install -y etcd-client (etcdctl 3.4)", e);
    }
    process.getOutputStream().close();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("etcdctl " + String.join(" ", args) + " did not finish in 30s");
    }
    return new Result(
        process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void putAndGetTravelTheWireAsEtcdctlExpects() throws Exception {
    node.answer("put", (PutRequest r) -> PutResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).build());
    node.answer(
        "range",
        (RangeRequest r) ->
            RangeResponse.newBuilder()
                .setHeader(RecordingEtcdNode.HEADER)
                .addKvs(KeyValue.newBuilder().setKey(ByteString.copyFromUtf8("foo"))
                    .setValue(ByteString.copyFromUtf8("bar")).setCreateRevision(2).setModRevision(2).setVersion(1))
                .setCount(1)
                .build());

    Result put = etcdctl("put", "foo", "bar");
    Result get = etcdctl("get", "foo", "--prefix", "--limit=5");

    assertThat(put.exit()).as(put.err()).isZero();
    assertThat(put.out().trim()).isEqualTo("OK");
    PutRequest seen = (PutRequest) node.requestsOf("put").getFirst();
    assertThat(seen.getKey().toStringUtf8()).isEqualTo("foo");
    assertThat(seen.getValue().toStringUtf8()).isEqualTo("bar");
    assertThat(get.out()).isEqualTo("foo\nbar\n");
    RangeRequest range = (RangeRequest) node.requestsOf("range").getFirst();
    assertThat(range.getRangeEnd().toStringUtf8()).isEqualTo("fop");
    assertThat(range.getLimit()).isEqualTo(5);
  }

  @Test
  void leaseListUsesOurLeaseLeases() throws Exception {
    node.answer("leaseLeases", ignored -> new EtcdNode.LeaseList(RecordingEtcdNode.HEADER, List.of(0x1234L, 0x5678L)));

    Result list = etcdctl("lease", "list");

    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out()).isEqualTo("found 2 leases\n0000000000001234\n0000000000005678\n");
  }

  @Test
  void snapshotSaveWritesTheDatabaseAndChecksNothingIsMissing(@TempDir Path dir) throws Exception {
    // etcdctl 3.4 finds the digest only if the database is a whole number of 512-byte
    // sectors (a bolt file always is): any snapshot a member streams must keep that shape.
    byte[] database = new byte[25 * 4096];
    new Random(4).nextBytes(database);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(database);
    byte[] stream = new byte[database.length + 32];
    System.arraycopy(database, 0, stream, 0, database.length);
    System.arraycopy(digest, 0, stream, database.length, 32);
    node.answer("snapshot", ignored -> new ByteArrayInputStream(stream));
    Path file = dir.resolve("backup.db");

    Result save = etcdctl("snapshot", "save", file.toString());

    assertThat(save.exit()).as(save.err()).isZero();
    assertThat(save.out()).contains("Snapshot saved at " + file);
    // etcdctl keeps the digest at the end of the file, as etcd's snapshots carry it.
    assertThat(Files.readAllBytes(file)).isEqualTo(stream);
  }

  @Test
  void memberListAndEndpointStatusPrintWhatTheMemberSaid() throws Exception {
    node.answer(
        "memberList",
        (MemberListRequest r) ->
            MemberListResponse.newBuilder()
                .setHeader(RecordingEtcdNode.HEADER)
                .addMembers(Member.newBuilder().setID(0x7339c4e5e833c029L).setName("s1")
                    .addPeerURLs("http://localhost:2380").addClientURLs("http://localhost:2379"))
                .build());
    node.answer(
        "status",
        ignored -> StatusResponse.newBuilder().setHeader(RecordingEtcdNode.HEADER).setVersion("1.2.3")
            .setDbSize(20480).setLeader(0x7339c4e5e833c029L).setRaftIndex(10).setRaftTerm(3)
            .setRaftAppliedIndex(10).build());

    Result members = etcdctl("member", "list");
    Result status = etcdctl("endpoint", "status");
    // With a scheme, etcdctl sends ":authority: http://host:port" (see SchemeInAuthority).
    Result statusByUrl = etcdctlAt("http://" + endpoint, "endpoint", "status");

    assertThat(members.out()).isEqualTo("7339c4e5e833c029, started, s1, http://localhost:2380, http://localhost:2379, false\n");
    assertThat(status.out())
        .startsWith(endpoint + ", 7339c4e5e833c029, 1.2.3, 20 kB, true, false, 3, 10, 10, ");
    assertThat(statusByUrl.err()).doesNotContain("PROTOCOL_ERROR");
    assertThat(statusByUrl.out())
        .startsWith("http://" + endpoint + ", 7339c4e5e833c029, 1.2.3, 20 kB, true, false, 3, 10, 10, ");
  }
}
