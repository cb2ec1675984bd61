package io.kvorum.server.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What a set of files looks like on disk, cheaply: modification time and size of each. Two
 * equal stamps mean "nothing to reload"; a stamp is read on every TLS handshake (a few {@code
 * stat} calls), the files are read only when it changed. Example: {@code
 * "2026-11-22T03:10:00.123Z/1220;2026-11-22T03:10:00.125Z/241"}.
 */
final class FileStamp {
  private FileStamp() {}

  static String of(Path... files) {
    StringBuilder b = new StringBuilder();
    for (Path f : files) {
      try {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        b.append(a.lastModifiedTime()).append('/').append(a.size()).append(';');
      } catch (IOException e) {
        b.append("missing;");
      }
    }
    return b.toString();
  }
}
