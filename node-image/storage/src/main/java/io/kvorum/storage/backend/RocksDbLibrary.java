package io.kvorum.storage.backend;

import io.kvorum.storage.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.RocksDB;

/**
 * Loads RocksDB's native library so that no copy of it outlives the process.
 *
 * <p>RocksDB's own loader extracts its 17 MB library to a new file in {@code java.io.tmpdir} at
 * every start and deletes it only when the JVM exits normally. A member that is killed, crashes,
 * or exits on an {@code OutOfMemoryError} left its copy behind: the development machine had
 * gathered 1,184 of them, 19 GB. Here the library is extracted into a directory of its own and
 * deleted as soon as it is loaded. Linux keeps a deleted file's contents while it is mapped, so
 * the loaded library stays usable. Only a kill in the milliseconds between extraction and
 * deletion can still leave a copy.
 */
final class RocksDbLibrary {
  private RocksDbLibrary() {}

  /** Called once, from {@link Backend}'s class initializer. */
  static void load() {
    Path dir;
    try {
      dir = Files.createTempDirectory("kvorum-rocksdb");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot extract RocksDB's native library: no writable directory in java.io.tmpdir ("
              + System.getProperty("java.io.tmpdir") + "); point -Djava.io.tmpdir at one", e);
    }
    try {
      NativeLibraryLoader.getInstance().loadLibrary(dir.toString());
      // RocksDB's class initializer asks the loader again; the loader knows it is done.
      RocksDB.loadLibrary();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract RocksDB's native library into " + dir, e);
    } finally {
      deleteTree(dir);
    }
  }

  private static void deleteTree(Path dir) {
    try {
      FileTrees.deleteRecursively(dir);
    } catch (UncheckedIOException e) {
      // Best effort: a copy left behind costs disk space, not correctness.
    }
  }
}
