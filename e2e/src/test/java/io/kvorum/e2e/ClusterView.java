package io.kvorum.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One KVCluster as the API server records it: its status, its member pods, its Events. Every
 * read is a kubectl call, so what a test asserts is what a user would see.
 */
final class ClusterView {
  /** One Event recorded on the KVCluster. */
  record Event(Instant time, String reason, String message) { }

  final LocalKube kube;
  final String namespace;
  final String name;

  ClusterView(LocalKube kube, String namespace, String name) {
    this.kube = kube;
    this.namespace = namespace;
    this.name = name;
  }

  /** The label every object of the cluster carries. */
  String members() {
    return "app.kubernetes.io/instance=" + name;
  }

  /** A field of the KVCluster by jsonpath, e.g. {@code .status.version}; empty when missing. */
  String field(String path) {
    return kube.jsonpath(namespace, "kvcluster/" + name, path);
  }

  String condition(String type, String field) {
    return field(".status.conditions[?(@.type==\"" + type + "\")]." + field);
  }

  boolean available() {
    return "True".equals(condition("Available", "status"));
  }

  void patchSpec(String json) {
    kube.kubectl("-n", namespace, "patch", "kvcluster", name, "--type", "merge", "-p", "{\"spec\":" + json + "}").orFail();
  }

  void waitUntil(Duration timeout, String what, BooleanSupplier condition) {
    kube.waitUntil(timeout, what, condition, diagnostics());
  }

  LocalKube.Diagnostics diagnostics() {
    return kube.clusterDiagnostics(namespace, name);
  }

  String clientService() {
    return kube.jsonpath(namespace, "service/" + name + "-client", ".spec.clusterIP") + ":2379";
  }

  List<String> podIps() {
    return words(kube.kubectl("-n", namespace, "get", "pods", "-l", members(), "-o",
        "jsonpath={.items[*].status.podIP}").orFail());
  }

  /** Pod name to creation time: a recreated pod has a later one. */
  Map<String, Instant> podCreationTimes() {
    return podField("{.metadata.creationTimestamp}", Instant::parse);
  }

  /** Pod name to the id of its first container (containerd://...), empty while it has none. */
  Map<String, String> containerIds() {
    return podField("{.status.containerStatuses[0].containerID}", s -> s);
  }

  Map<String, Integer> restartCounts() {
    return podField("{.status.containerStatuses[0].restartCount}", s -> s.isEmpty() ? 0 : Integer.parseInt(s));
  }

  /**
   * Members whose node process cannot be counted on for quorum right now: of the {@code expected}
   * pods, those missing, being deleted, or whose container is not running. The container state
   * comes from the kubelet within about a second; the Ready condition would lag by up to a
   * readiness period (5 s) and show two members down when the operator rightly moved on after
   * its own health probe.
   */
  int membersDown(int expected) {
    String out = kube.kubectl("-n", namespace, "get", "pods", "-l", members(), "-o",
        "jsonpath={range .items[*]}{.metadata.deletionTimestamp}|{.status.containerStatuses[0].state.running.startedAt}{\"\\n\"}{end}").out();
    long running = out.lines().filter(l -> l.startsWith("|") && l.length() > 1).count();
    return (int) Math.max(0, expected - running);
  }

  private <T> Map<String, T> podField(String jsonpath, Function<String, T> parse) {
    Map<String, T> values = new HashMap<>();
    String out = kube.kubectl("-n", namespace, "get", "pods", "-l", members(), "-o",
        "jsonpath={range .items[*]}{.metadata.name}|" + jsonpath + "{\"\\n\"}{end}").orFail();
    out.lines().filter(l -> !l.isBlank()).map(l -> l.split("\\|", 2))
        .forEach(f -> values.put(f[0], parse.apply(f.length > 1 ? f[1].strip() : "")));
    return values;
  }

  /** The Events on the KVCluster with this reason, oldest first. */
  List<Event> events(String reason) {
    String out = kube.kubectl("-n", namespace, "get", "events", "--field-selector",
        "involvedObject.kind=KVCluster,involvedObject.name=" + name + ",reason=" + reason, "-o",
        "jsonpath={range .items[*]}{.firstTimestamp}|{.message}{\"\\n\"}{end}").orFail();
    return out.lines().filter(l -> !l.isBlank()).map(l -> l.split("\\|", 2))
        .map(f -> new Event(Instant.parse(f[0]), reason, f[1])).sorted(Comparator.comparing(Event::time)).toList();
  }

  /**
   * Stops {@code load} and asserts every key it saw acknowledged is readable through the client
   * Service; prints the counts (the failed requests are the availability a client saw).
   */
  void assertNoAcknowledgedWriteLost(WriteLoad load, String during) throws InterruptedException {
    load.stopAndJoin();
    Set<String> stored = new TreeSet<>(kube.etcdctl(clientService(), "get", load.prefix(), "--prefix", "--keys-only")
        .orFail().lines().filter(l -> !l.isBlank()).toList());
    System.out.printf("  write load during %s: %s%n", during, load.report());
    assertThat(load.acknowledged()).as("writes acknowledged during %s", during).isNotEmpty();
    assertThat(stored).as("acknowledged writes present after %s", during).containsAll(load.acknowledged());
  }

  static List<String> words(String s) {
    return Arrays.stream(s.strip().split("\\s+")).filter(w -> !w.isEmpty()).toList();
  }
}
