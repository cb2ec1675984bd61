package io.kvorum.storage.wal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Frames a WAL record by the layout in {@link Wal}'s Javadoc, written out here on its own, so
 * tests that craft torn or foreign records do not depend on the writer they check.
 */
final class Records {
  private Records() {}

  static byte[] encode(RecordType type, byte[] payload) {
    CRC32C header = new CRC32C();
    header.update(ByteBuffer.allocate(5).putInt(payload.length).put(type.code).array());
    CRC32C body = new CRC32C();
    body.update(payload);
    return ByteBuffer.allocate(Wal.HEADER_BYTES + payload.length)
        .putInt(payload.length)
        .putInt((int) header.getValue())
        .put(type.code)
        .putInt((int) body.getValue())
        .put(payload)
        .array();
  }
}
