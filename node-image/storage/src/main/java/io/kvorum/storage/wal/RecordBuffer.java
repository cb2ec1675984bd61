package io.kvorum.storage.wal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Frames {@link Wal} records (see its record layout) in one reused direct buffer and writes them
 * with one call. Each message is serialized straight into the buffer and checksummed there.
 *
 * <p>Why: a record used to be serialized into an array, copied into a record array, copied into
 * a heap buffer for the write and copied once more by the JDK into a temporary direct buffer.
 * Under {@code etcdctl check perf --load=l} the first three were a seventh of a member's
 * allocation (JFR). A buffer that had to grow past {@link #KEPT_BYTES} (a follower catching up
 * writes many entries at once) is dropped after its write, so it does not hold memory for good.
 *
 * <p>Not thread-safe: the WAL's lock guards it.
 */
final class RecordBuffer {
  private static final int INITIAL_BYTES = 64 * 1024;
  static final int KEPT_BYTES = 1024 * 1024;

  private final CRC32C crc = new CRC32C();
  private ByteBuffer buf = ByteBuffer.allocateDirect(INITIAL_BYTES);

  /** Appends one record of {@code type} carrying {@code message}. */
  void add(RecordType type, MessageLite message) {
    add(type, message.getSerializedSize(), message::writeTo);
  }

  /** Appends one record of {@code type} whose payload is {@code payload} as it is. */
  void add(RecordType type, ByteString payload) {
    add(type, payload.size(), out -> out.writeRawBytes(payload));
  }

  private interface Payload {
    void writeTo(CodedOutputStream out) throws IOException;
  }

  private void add(RecordType type, int length, Payload payload) {
    ensureRoom(Wal.HEADER_BYTES + length);
    buf.putInt(length).putInt(Wal.headerCrc(length, type.code)).put(type.code);
    int crcAt = buf.position();
    int payloadAt = crcAt + 4;
    buf.position(payloadAt);
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(buf);
      payload.writeTo(out);
      out.flush(); // moves buf's position past the payload
    } catch (IOException e) {
      throw new IllegalStateException("wal: cannot serialize a " + type + " record", e);
    }
    crc.reset();
    crc.update(buf.duplicate().position(payloadAt).limit(payloadAt + length));
    buf.putInt(crcAt, (int) crc.getValue());
  }

  /** Writes every record added since the last write, then starts empty. */
  void writeTo(FileChannel ch) throws IOException {
    buf.flip();
    try {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    } finally {
      if (buf.capacity() > KEPT_BYTES) {
        buf = ByteBuffer.allocateDirect(INITIAL_BYTES);
      } else {
        buf.clear();
      }
    }
  }

  private void ensureRoom(int bytes) {
    if (buf.remaining() >= bytes) {
      return;
    }
    int needed = buf.position() + bytes;
    ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(needed, buf.capacity() * 2));
    buf.flip();
    bigger.put(buf);
    buf = bigger;
  }
}
