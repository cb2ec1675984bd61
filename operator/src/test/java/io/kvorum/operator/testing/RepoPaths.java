package io.kvorum.operator.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths in the repository, found from the module directory whether tests run from it or the root. */
public final class RepoPaths {

  private RepoPaths() {
  }

  public static Path root() {
    String configured = System.getProperty("kvorum.repo.root");
    Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
    for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("operator")) && Files.isDirectory(p.resolve("helm"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the repository root (a folder with operator/ and helm/) above " + start);
  }

  public static Path chart() {
    return root().resolve("helm/kvorum-operator");
  }

  public static Path checkedInCrd() {
    return root().resolve("crds/kvclusters.kvorum.io-v1.yml");
  }

  public static Path chartCrd() {
    return chart().resolve("crds/kvclusters.kvorum.io-v1.yml");
  }

  public static Path generatedCrd() {
    return root().resolve("operator/target/kubernetes/kvclusters.kvorum.io-v1.yml");
  }
}
