package io.kvorum.storage.backend;

import java.nio.file.Path;

/** The child process of {@link RocksDbLibraryIT}: opens a backend, says so, and waits to be killed. */
public final class BackendHolder {
  private BackendHolder() {}

  public static void main(String[] args) throws Exception {
    try (Backend backend = Backend.open(Path.of(args[0]))) {
      System.out.println("open");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
