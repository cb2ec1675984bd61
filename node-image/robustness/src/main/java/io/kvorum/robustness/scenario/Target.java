package io.kvorum.robustness.scenario;

import io.kvorum.robustness.cluster.MemberBinary;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the scenarios run against. etcd 3.4 is the reference (it must pass, or the harness is
 * wrong); Kvorum runs when {@code -Dkvorum.jar=<path>} names a jar that exists.
 */
public enum Target {
    ETCD {
        @Override
        public String unavailableReason() {
            return Files.isExecutable(etcdPath()) ? null
                    : "no etcd at " + etcdPath() + " (apt-get install etcd-server, or -Detcd.binary=<path>)";
        }

        @Override
        public MemberBinary binary() {
            return new MemberBinary.Etcd(etcdPath());
        }
    },
    KVORUM {
        @Override
        public String unavailableReason() {
            String jar = System.getProperty("kvorum.jar", "");
            if (jar.isBlank()) {
                return "Kvorum variant skipped: -Dkvorum.jar=<path to kvorum.jar> is not set";
            }
            return Files.isRegularFile(Path.of(jar)) ? null
                    : "Kvorum variant skipped: no kvorum.jar at " + jar
                    + " (build it: ./mvnw -B -pl node-image/server package -DskipTests)";
        }

        @Override
        public MemberBinary binary() {
            return new MemberBinary.KvorumJar(Path.of(System.getProperty("java.home"), "bin", "java"),
                    Path.of(System.getProperty("kvorum.jar")));
        }
    };

    /** Null when the target can run here; otherwise why not and what to do. */
    public abstract String unavailableReason();

    public abstract MemberBinary binary();

    static Path etcdPath() {
        return Path.of(System.getProperty("etcd.binary", "/usr/bin/etcd"));
    }
}
