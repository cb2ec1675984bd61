package io.kvorum.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The auth matrix through the real etcdctl 3.4: {@code user}, {@code role} and {@code auth}
 * commands with {@code --user root:pw}, then, for each permission kind (READ, WRITE, READWRITE)
 * and key-range form (single key, range, prefix, from-key), allowed and denied get/put/del, and
 * etcd's refusals. Every line etcdctl prints is compared, error texts included.
 *
 * <p>Run against kvorum and against etcd 3.4.23 ({@link EtcdReferenceCluster}): both must print
 * exactly the same, so the expectations are etcd's own answers, not a guess.
 *
 * <p>The steps build on each other (users, roles, then auth enabled), hence the order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class EtcdctlAuthContract extends ClusterContract {
  private static final String DENIED = "Error: etcdserver: permission denied";
  private static final String NO_USER = "Error: etcdserver: user name is empty";
  private static final String BAD_PASSWORD = "Error: etcdserver: authentication failed, invalid user ID or password";

    /** What etcdctl printed (stdout, then the error line), without the client's JSON log lines. */
  private String ctl(String... args) {
    return ctlWithInput(null, args);
  }

  private String ctlWithInput(String stdin, String... args) {
    Etcdctl.Result r =
        Etcdctl.runWithInput(
            cluster.clientEndpoint(0), stdin == null ? null : stdin.getBytes(StandardCharsets.UTF_8), args);
    String printed =
        (r.out() + r.err())
            .lines()
            .filter(l -> !l.startsWith("{\"level\""))
            .collect(Collectors.joining("\n"));
    assertThat(r.exit() == 0)
        .as("etcdctl %s exit %d, printed %s", Arrays.toString(args), r.exit(), printed)
        .isEqualTo(!printed.startsWith("Error:"));
    return printed;
  }

  private static String[] as(String user, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "--user=" + user;
    System.arraycopy(args, 0, all, 1, args.length);
    return all;
  }

  private String root(String... args) {
    return ctl(as("root:pw", args));
  }

  private String alice(String... args) {
    return ctl(as("alice:pa", args));
  }

  @Test
  @Order(1)
  void enablingNeedsRootThenEtcdctlCreatesTheRootRole() {
    assertThat(ctl("auth", "enable")).isEqualTo("Error: etcdserver: root user does not exist");
    assertThat(ctl("user", "add", "root:pw")).isEqualTo("User root created");
    // etcdctl answers "root user does not have root role" by adding the role and granting it
    assertThat(ctl("auth", "enable")).isEqualTo("Authentication Enabled");
    assertThat(root("role", "list")).isEqualTo("root");
    assertThat(root("user", "get", "root")).isEqualTo("User: root\nRoles: root");
  }

  @Test
  @Order(2)
  void usersAndRolesAreManagedByRootOnly() {
    assertThat(ctl("user", "list")).isEqualTo(NO_USER);
    assertThat(ctl("--user=root:wrong", "user", "list")).isEqualTo(BAD_PASSWORD);
    assertThat(root("user", "add", "alice:pa")).isEqualTo("User alice created");
    assertThat(root("user", "add", "bob:pb")).isEqualTo("User bob created");
    assertThat(root("user", "add", "alice:x")).isEqualTo("Error: etcdserver: user name already exists");
    assertThat(root("role", "add", "app")).isEqualTo("Role app created");
    assertThat(root("role", "add", "app")).isEqualTo("Error: etcdserver: role name already exists");
    assertThat(ctl(as("alice:pa", "user", "add", "eve:pe"))).isEqualTo(DENIED);
    assertThat(ctl(as("alice:pa", "role", "add", "r2"))).isEqualTo(DENIED);
    assertThat(ctl(as("alice:pa", "user", "list"))).isEqualTo(DENIED);
    assertThat(root("user", "list")).isEqualTo("alice\nbob\nroot");
  }

  @Test
  @Order(3)
  void permissionsOfEveryKindAndRangeForm() {
    assertThat(root("role", "grant-permission", "app", "read", "a", "c")).isEqualTo("Role app updated");
    assertThat(root("role", "grant-permission", "app", "write", "k")).isEqualTo("Role app updated");
    assertThat(root("role", "grant-permission", "--prefix", "app", "readwrite", "p/")).isEqualTo("Role app updated");
    assertThat(root("role", "grant-permission", "--from-key", "app", "read", "z")).isEqualTo("Role app updated");
    assertThat(root("user", "grant-role", "alice", "app")).isEqualTo("Role app is granted to user alice");
    assertThat(root("role", "get", "app"))
        .isEqualTo("Role app\nKV Read:\n\t[a, c)\n\t[p/, p0) (prefix p/)\n\t[z, <open ended>\nKV Write:\n\tk\n\t[p/, p0) (prefix p/)");
    assertThat(root("user", "get", "alice")).isEqualTo("User: alice\nRoles: app");
    // a user reads itself and its roles, not others
    assertThat(alice("user", "get", "alice")).isEqualTo("User: alice\nRoles: app");
    assertThat(alice("role", "get", "root")).isEqualTo(DENIED);
    assertThat(alice("user", "get", "root")).isEqualTo(DENIED);
  }

  @Test
  @Order(4)
  void keyAccessFollowsThePermissions() {
    assertThat(root("put", "a", "1")).isEqualTo("OK");
    assertThat(root("put", "z1", "2")).isEqualTo("OK");
    // WRITE only on k: put yes, get no
    assertThat(alice("put", "k", "v")).isEqualTo("OK");
    assertThat(alice("get", "k")).isEqualTo(DENIED);
    // READ on [a, c): get yes (key, sub-range), wider range no, put/del no
    assertThat(alice("get", "a")).isEqualTo("a\n1");
    assertThat(alice("get", "a", "c")).isEqualTo("a\n1");
    assertThat(alice("get", "a", "d")).isEqualTo(DENIED);
    assertThat(alice("put", "a", "v")).isEqualTo(DENIED);
    assertThat(alice("del", "a")).isEqualTo(DENIED);
    // READWRITE on prefix p/
    assertThat(alice("put", "p/x", "1")).isEqualTo("OK");
    assertThat(alice("get", "p/", "--prefix")).isEqualTo("p/x\n1");
    assertThat(alice("get", "p", "--prefix")).isEqualTo(DENIED);
    assertThat(alice("put", "p0", "1")).isEqualTo(DENIED);
    assertThat(alice("del", "p/x", "--prev-kv")).isEqualTo("1\np/x\n1");
    // READ from z on
    assertThat(alice("get", "z", "--from-key")).isEqualTo("z1\n2");
    assertThat(alice("get", "y", "--from-key")).isEqualTo(DENIED);
    // bob has no role: nothing
    assertThat(ctl(as("bob:pb", "get", "a"))).isEqualTo(DENIED);
    // nobody: etcd's "user name is empty" for reads and writes
    assertThat(ctl("get", "a")).isEqualTo(NO_USER);
    assertThat(ctl("put", "a", "b")).isEqualTo(NO_USER);
  }

  @Test
  @Order(5)
  void txnChecksComparesAndBothBranches() {
    // compare a (READ), success put k (WRITE), failure get a (READ): allowed, runs failure
    assertThat(ctlWithInput("value(\"a\") = \"x\"\n\nput k v2\n\nget a\n\n", as("alice:pa", "txn")))
        .isEqualTo("FAILURE\n\na\n1");
    // a compare on a key alice cannot read
    assertThat(ctlWithInput("value(\"x\") = \"x\"\n\nput k v2\n\nget a\n\n", as("alice:pa", "txn"))).isEqualTo(DENIED);
    // the failure branch writes where alice may not, even though success would run
    assertThat(ctlWithInput("value(\"a\") = \"1\"\n\nput k v3\n\nput a v\n\n", as("alice:pa", "txn"))).isEqualTo(DENIED);
    assertThat(root("get", "k")).isEqualTo("k\nv");
  }

  @Test
  @Order(6)
  void leasesWithKeysAUserCannotWriteCannotBeRevokedByIt() {
    String granted = alice("lease", "grant", "60");
    assertThat(granted).matches("lease [0-9a-f]+ granted with TTL\\(60s\\)");
    String lease = granted.split(" ")[1];
    assertThat(alice("put", "k", "leased", "--lease=" + lease)).isEqualTo("OK");
    assertThat(root("put", "q", "root's", "--lease=" + lease)).isEqualTo("OK");
    // alice cannot write q, so she may neither attach more keys to the lease nor revoke it
    assertThat(alice("put", "k", "again", "--lease=" + lease)).isEqualTo(DENIED);
    assertThat(alice("lease", "revoke", lease)).isEqualTo("Error: failed to revoke lease (etcdserver: permission denied)");
    assertThat(root("lease", "revoke", lease)).isEqualTo("lease " + lease + " revoked");
  }

  @Test
  @Order(7)
  void rootIsProtectedAndMistakesAreEtcdsErrors() {
    String mgmt = "Error: etcdserver: invalid auth management";
    assertThat(root("user", "delete", "root")).isEqualTo(mgmt);
    assertThat(root("role", "delete", "root")).isEqualTo(mgmt);
    assertThat(root("user", "revoke-role", "root", "root")).isEqualTo(mgmt);
    assertThat(root("user", "grant-role", "alice", "app")).isEqualTo("Role app is granted to user alice");
    assertThat(root("user", "grant-role", "alice", "nope")).isEqualTo("Error: etcdserver: role name not found");
    assertThat(root("user", "grant-role", "nope", "app")).isEqualTo("Error: etcdserver: user name not found");
    assertThat(root("user", "revoke-role", "alice", "nope")).isEqualTo("Error: etcdserver: role is not granted to the user");
    assertThat(root("role", "revoke-permission", "app", "x")).isEqualTo("Error: etcdserver: permission is not granted to the role");
    assertThat(root("role", "get", "nope")).isEqualTo("Error: etcdserver: role name not found");
    assertThat(root("user", "get", "nope")).isEqualTo("Error: etcdserver: user name not found");
  }

  @Test
  @Order(8)
  void revokingAndPasswordChangesTakeEffectAtOnce() {
    assertThat(root("role", "revoke-permission", "app", "k")).isEqualTo("Permission of key k is revoked from role app");
    assertThat(alice("put", "k", "v")).isEqualTo(DENIED);
    assertThat(ctlWithInput("pa2\n", as("root:pw", "user", "passwd", "alice", "--interactive=false"))).isEqualTo("Password updated");
    assertThat(alice("get", "a")).isEqualTo(BAD_PASSWORD);
    assertThat(ctl(as("alice:pa2", "get", "a"))).isEqualTo("a\n1");
    assertThat(root("user", "revoke-role", "alice", "app")).isEqualTo("Role app is revoked from user alice");
    assertThat(ctl(as("alice:pa2", "get", "a"))).isEqualTo(DENIED);
    assertThat(root("role", "delete", "app")).isEqualTo("Role app deleted");
    assertThat(root("user", "delete", "bob")).isEqualTo("User bob deleted");
    assertThat(ctl(as("bob:pb", "get", "a"))).isEqualTo(BAD_PASSWORD);
  }

  @Test
  @Order(9)
  void disablingAuthOpensEverythingAgain() {
    assertThat(ctl(as("alice:pa2", "auth", "disable"))).isEqualTo(DENIED);
    assertThat(root("auth", "disable")).isEqualTo("Authentication Disabled");
    assertThat(ctl("get", "a")).isEqualTo("a\n1");
    assertThat(ctl("put", "k", "free")).isEqualTo("OK");
    assertThat(ctl("user", "list")).isEqualTo("alice\nroot");
    // with auth off, credentials are not needed and not checked (etcdctl skips the token)
    assertThat(ctl(as("alice:whatever", "get", "k"))).isEqualTo("k\nfree");
    assertThat(root("auth", "enable")).isEqualTo("Authentication Enabled");
    assertThat(ctl("get", "a")).isEqualTo(NO_USER);
    assertThat(root("auth", "disable")).isEqualTo("Authentication Disabled");
  }
}
