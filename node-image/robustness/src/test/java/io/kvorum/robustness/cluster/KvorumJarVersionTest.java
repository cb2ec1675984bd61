package io.kvorum.robustness.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvorumJarVersionTest {

    @TempDir
    Path dir;

    private MemberBinary.KvorumJar jarOfVersion(String version) throws IOException {
        Path jar = dir.resolve("kvorum.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out)) {
            zip.putNextEntry(new JarEntry("kvorum-version.properties"));
            zip.write(("# filled in at build time\nserver.version=" + version + "\n").getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new JarEntry("io/kvorum/Other.class"));
            zip.write(new byte[] {1, 2, 3});
        }
        return new MemberBinary.KvorumJar(Path.of("java"), jar);
    }

    @Test
    void readsTheVersionTheBuildEmbedded() throws IOException {
        assertThat(jarOfVersion("1.0.0").version()).isEqualTo("1.0.0");
    }

    @Test
    void anotherVersionIsACopyThatOnlyReportsTheNewVersion() throws IOException {
        MemberBinary.KvorumJar base = jarOfVersion("1.0.0");
        MemberBinary.KvorumJar next = base.asVersion("1.1.0", dir.resolve("builds"));

        assertThat(next.jar()).isEqualTo(dir.resolve("builds/kvorum-1.1.0.jar"));
        assertThat(next.version()).isEqualTo("1.1.0");
        assertThat(base.version()).as("the original is untouched").isEqualTo("1.0.0");
        try (FileSystem zip = FileSystems.newFileSystem(next.jar())) {
            assertThat(Files.readAllBytes(zip.getPath("io/kvorum/Other.class"))).containsExactly(1, 2, 3);
        }
    }

    @Test
    void nextMinorResetsThePatch() {
        assertThat(MemberBinary.KvorumJar.nextMinor("1.0.0")).isEqualTo("1.1.0");
        assertThat(MemberBinary.KvorumJar.nextMinor("3.9.7-SNAPSHOT")).isEqualTo("3.10.0");
        assertThatThrownBy(() -> MemberBinary.KvorumJar.nextMinor("main")).hasMessageContaining("MAJOR.MINOR");
    }

    @Test
    void aJarWithoutAVersionIsRejectedWithTheReason() throws IOException {
        Path jar = dir.resolve("empty.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out)) {
            zip.putNextEntry(new JarEntry("kvorum-version.properties"));
        }
        assertThatThrownBy(() -> new MemberBinary.KvorumJar(Path.of("java"), jar).version())
                .hasMessageContaining("has no server.version");
        assertThatThrownBy(() -> jarOfVersion("1.0.0").asVersion("next", dir)).hasMessageContaining("MAJOR.MINOR.PATCH");
    }
}
