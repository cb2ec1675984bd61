package io.kvorum.operator.member;

import java.nio.file.Path;

/** A snapshot file whose trailing SHA-256 matched the data before it. */
public record SnapshotResult(Path file, long size, String sha256, long revision) {
}
