package io.kvorum.robustness.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How to run one member: the command line for a set of {@link MemberFlags}. The two
 * implementations take the same flags, which is the point: a scenario that passes against
 * etcd 3.4 runs unchanged against Kvorum.
 */
public sealed interface MemberBinary {

    String describe();

    List<String> command(MemberFlags flags);

    /** Extra environment for the member, such as failpoints. */
    Map<String, String> environment(String failpoints);

    /** Whether {@link #environment} can switch on failpoints (slow fsync and the like). */
    boolean supportsFailpoints();

    /** The etcd 3.4 server, {@code /usr/bin/etcd} from Debian's etcd-server package. */
    record Etcd(Path binary) implements MemberBinary {
        public Etcd {
            if (!Files.isExecutable(binary)) {
                throw new IllegalArgumentException("no etcd binary at " + binary + ": apt-get install etcd-server");
            }
        }

        @Override
        public String describe() {
            return "etcd (" + binary + ")";
        }

        @Override
        public List<String> command(MemberFlags flags) {
            List<String> cmd = new ArrayList<>();
            cmd.add(binary.toString());
            cmd.addAll(flags.toArgs());
            return cmd;
        }

        @Override
        public Map<String, String> environment(String failpoints) {
            return Map.of();
        }

        /** Release builds of etcd have no gofail failpoints compiled in. */
        @Override
        public boolean supportsFailpoints() {
            return false;
        }
    }

    /**
     * {@code java -jar kvorum.jar <flags>}. Failpoints go in {@code KVORUM_FAILPOINTS}, a
     * semicolon-separated list of {@code name=action}; the names and actions the harness uses
     * are in {@link Failpoints}.
     */
    record KvorumJar(Path java, Path jar) implements MemberBinary {
        public KvorumJar {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no kvorum jar at " + jar
                        + ": build it with ./mvnw -B -pl node-image/server package -DskipTests");
            }
        }

        @Override
        public String describe() {
            return "kvorum (" + jar + ")";
        }

        @Override
        public List<String> command(MemberFlags flags) {
            List<String> cmd = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                    "-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
            cmd.addAll(flags.toArgs());
            return cmd;
        }

        @Override
        public Map<String, String> environment(String failpoints) {
            return failpoints == null || failpoints.isEmpty() ? Map.of() : Map.of(Failpoints.ENV, failpoints);
        }

        @Override
        public boolean supportsFailpoints() {
            return true;
        }
    }
}
