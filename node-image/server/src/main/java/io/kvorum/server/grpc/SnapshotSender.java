package io.kvorum.server.grpc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.SnapshotResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kvorum.server.api.EtcdNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Streams {@code Maintenance.Snapshot} as etcd does: the database in 32 KiB chunks, each with
 * {@code remaining_bytes} = database size − bytes sent so far, then one last message whose blob
 * is the 32-byte SHA-256 of the database and whose {@code remaining_bytes} is 0.
 *
 * <p>Worked example: a 70,000-byte database goes out as blobs of 32,768 (remaining 37,232),
 * 32,768 (remaining 4,464), 4,464 (remaining 0), then the digest (remaining 0).
 *
 * <p>The member's stream is first spooled to a temporary file (off the event loop), so the
 * database size is known before the first chunk and a slow client never holds the member's
 * snapshot open. Chunks are sent only while the transport is ready (HTTP/2 flow control), and
 * the digest is recomputed while sending: a trailer that does not match fails the stream with
 * {@code DATA_LOSS} instead of handing the client a backup that would not restore.
 */
final class SnapshotSender {
  static final int CHUNK_BYTES = 32 * 1024;
  static final int DIGEST_BYTES = 32;

  private final StreamObserver<SnapshotResponse> observer;
  private final ServerCallStreamObserver<SnapshotResponse> flowControl;
  private Path file;
  private FileChannel channel;
  private long databaseBytes;
  private long sent;
  private MessageDigest digest;
  private boolean finished;

  private SnapshotSender(StreamObserver<SnapshotResponse> observer) {
    this.observer = observer;
    this.flowControl =
        observer instanceof ServerCallStreamObserver<SnapshotResponse> call ? call : null;
  }

  /** Starts streaming; handlers are registered now because gRPC allows it only during the call. */
  static void start(EtcdNode node, StreamObserver<SnapshotResponse> observer, Executor context) {
    SnapshotSender sender = new SnapshotSender(observer);
    if (sender.flowControl != null) {
      sender.flowControl.setOnReadyHandler(sender::pump);
      sender.flowControl.setOnCancelHandler(sender::release);
    }
    CompletableFuture<InputStream> snapshot;
    try {
      snapshot = node.snapshot();
    } catch (RuntimeException e) {
      snapshot = CompletableFuture.failedFuture(e);
    }
    snapshot
        .thenApplyAsync(SnapshotSender::spool, SnapshotSender::runOnSpoolThread)
        .whenCompleteAsync(sender::begin, context);
  }

  private static void runOnSpoolThread(Runnable task) {
    Thread.ofVirtual().name("kvorum-snapshot-spool").start(task);
  }

  private static Path spool(InputStream in) {
    try (in) {
      Path file = Files.createTempFile("kvorum-snapshot-", ".db");
      try {
        Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return file;
      } catch (IOException e) {
        Files.deleteIfExists(file);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("spooling the snapshot to a temporary file failed", e);
    }
  }

  private void begin(Path spooled, Throwable failure) {
    if (failure != null) {
      fail(GrpcErrors.toStatus(failure));
      return;
    }
    file = spooled;
    if (finished) { // cancelled while spooling
      deleteQuietly(spooled);
      return;
    }
    try {
      channel = FileChannel.open(spooled, StandardOpenOption.READ);
      databaseBytes = channel.size() - DIGEST_BYTES;
      digest = MessageDigest.getInstance("SHA-256");
    } catch (IOException | NoSuchAlgorithmException e) {
      fail(GrpcErrors.toStatus(e));
      return;
    }
    if (databaseBytes < 0) {
      fail(Status.INTERNAL.withDescription(
          "kvorum: the member's snapshot is shorter than its SHA-256 trailer"));
      return;
    }
    pump();
  }

  /** Sends while the transport takes more; called again by the transport when it is ready. */
  private void pump() {
    if (finished || channel == null) {
      return;
    }
    try {
      while (flowControl == null || flowControl.isReady()) {
        if (sent < databaseBytes) {
          byte[] blob = read(sent, (int) Math.min(CHUNK_BYTES, databaseBytes - sent));
          digest.update(blob);
          sent += blob.length;
          observer.onNext(
              SnapshotResponse.newBuilder()
                  .setRemainingBytes(databaseBytes - sent)
                  .setBlob(ByteString.copyFrom(blob))
                  .build());
        } else {
          finish();
          return;
        }
      }
    } catch (IOException e) {
      fail(GrpcErrors.toStatus(e));
    }
  }

  private void finish() throws IOException {
    byte[] trailer = read(databaseBytes, DIGEST_BYTES);
    if (!Arrays.equals(trailer, digest.digest())) {
      fail(Status.DATA_LOSS.withDescription(
          "kvorum: snapshot SHA-256 mismatch: the database changed or was damaged while"
              + " streaming; take the snapshot again"));
      return;
    }
    observer.onNext(
        SnapshotResponse.newBuilder()
            .setRemainingBytes(0)
            .setBlob(ByteString.copyFrom(trailer))
            .build());
    observer.onCompleted();
    release();
  }

  private byte[] read(long position, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("snapshot file ended early at byte " + (position + buffer.position()));
      }
    }
    return buffer.array();
  }

  private void fail(Status status) {
    if (!finished) {
      observer.onError(status.asRuntimeException());
    }
    release();
  }

  /** Ends the stream's resources; safe to call more than once (cancel, error, done). */
  private void release() {
    finished = true;
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // The file is deleted next; nothing is lost.
      }
      channel = null;
    }
    if (file != null) {
      deleteQuietly(file);
      file = null;
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // A temp file left behind is reclaimed by the OS temp cleaner.
    }
  }
}
