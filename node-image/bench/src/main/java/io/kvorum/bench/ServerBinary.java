package io.kvorum.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to start one member of a cluster under test. Both kinds take the same etcd flags
 * ({@link MemberFlags}); only the program in front of them differs.
 */
sealed interface ServerBinary {

  /** The command without the member's flags. */
  List<String> command();

  /** What runs, for the report: the etcd binary or the Kvorum jar. */
  default String describe() {
    return String.join(" ", command());
  }

  /** etcd from the Debian {@code etcd-server} package. */
  record Etcd(Path etcd) implements ServerBinary {
    @Override
    public List<String> command() {
      return List.of(etcd.toString());
    }
  }

  /** A Kvorum build: {@code java --enable-native-access=ALL-UNNAMED [jvmOptions] -jar jar}. */
  record Kvorum(Path java, Path jar, List<String> jvmOptions) implements ServerBinary {
    @Override
    public List<String> command() {
      List<String> command = new ArrayList<>();
      command.add(java.toString());
      command.add("--enable-native-access=ALL-UNNAMED");
      command.addAll(jvmOptions);
      command.add("-jar");
      command.add(jar.toString());
      return command;
    }
  }
}
