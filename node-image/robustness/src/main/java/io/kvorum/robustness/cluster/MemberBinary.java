package io.kvorum.robustness.cluster;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

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
                    "-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + flags.tmpDir(),
                    "-jar", jar.toString()));
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

        /** The server version the jar reports: {@code server.version} in its {@value #VERSION_FILE}. */
        public String version() {
            try (FileSystem zip = FileSystems.newFileSystem(jar); Reader in = Files.newBufferedReader(zip.getPath(VERSION_FILE))) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("server.version");
                if (v == null || v.isBlank()) {
                    throw new IllegalStateException(jar + "!/" + VERSION_FILE + " has no server.version");
                }
                return v.trim();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + VERSION_FILE + " from " + jar, e);
            }
        }

        /**
         * The same build reporting another version, as {@code -Drevision=<version>} would have
         * built it: a copy of the jar at {@code dir/kvorum-<version>.jar} whose
         * {@value #VERSION_FILE} says {@code server.version=<version>}. That file is the only
         * thing the revision changes in the jar (the manifest carries no version), and rewriting
         * it takes a second where a second build takes minutes. node-image/server's
         * VersionUpgradeIT builds its "other versions" the same way.
         */
        public KvorumJar asVersion(String version, Path dir) {
            if (!version.matches("\\d+\\.\\d+\\.\\d+")) {
                throw new IllegalArgumentException("version '" + version + "' is not MAJOR.MINOR.PATCH, like 1.1.0");
            }
            Path copy = dir.resolve("kvorum-" + version + ".jar");
            try {
                Files.createDirectories(dir);
                Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
                try (FileSystem zip = FileSystems.newFileSystem(copy)) {
                    Files.writeString(zip.getPath(VERSION_FILE), "server.version=" + version + "\n", StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make " + copy + " from " + jar, e);
            }
            return new KvorumJar(java, copy);
        }

        /** {@code 1.0.3} -> {@code 1.1.0}: the newest version a rolling upgrade from this one may go to. */
        public static String nextMinor(String version) {
            String[] parts = version.split("[.-]");
            if (parts.length < 2 || !parts[0].matches("\\d+") || !parts[1].matches("\\d+")) {
                throw new IllegalArgumentException("version '" + version + "' does not start with MAJOR.MINOR");
            }
            return parts[0] + "." + (Integer.parseInt(parts[1]) + 1) + ".0";
        }

        static final String VERSION_FILE = "kvorum-version.properties";
    }
}
