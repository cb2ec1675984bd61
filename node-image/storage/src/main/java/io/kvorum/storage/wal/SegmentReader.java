package io.kvorum.storage.wal;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/** Reads the records of one segment and applies {@link Wal}'s recovery rules to its end. */
final class SegmentReader {
  record Record(RecordType type, byte[] payload, long offset) {}

  private final Path file;
  private final ByteBuffer data;
  private final boolean lastSegment;
  private long tornAt = -1;

  SegmentReader(Path file, byte[] bytes, boolean lastSegment) {
    this.file = file;
    this.data = ByteBuffer.wrap(bytes);
    this.lastSegment = lastSegment;
  }

  /** Where the torn tail starts, or -1 if the segment ended cleanly. */
  long tornAt() {
    return tornAt;
  }

  /** The next record, or null at the end (clean or torn). */
  Record next() {
    int off = data.position();
    int remaining = data.remaining();
    if (remaining == 0) {
      return null;
    }
    if (remaining < Wal.HEADER_BYTES) {
      return torn(off, "a partial record header");
    }
    int length = data.getInt(off);
    int headerCrc = data.getInt(off + 4);
    byte typeCode = data.get(off + 8);
    int payloadCrc = data.getInt(off + 9);
    if (headerCrc != Wal.headerCrc(length, typeCode)) {
      if (length == 0 && headerCrc == 0 && typeCode == 0 && payloadCrc == 0) {
        return torn(off, "a zero-filled header");
      }
      throw new WalCorruptException(file, off, "record header checksum mismatch");
    }
    RecordType type = RecordType.of(typeCode);
    if (type == null || length < 0) {
      throw new WalCorruptException(file, off, "unknown record type " + typeCode);
    }
    long end = (long) off + Wal.HEADER_BYTES + length;
    if (end > data.limit()) {
      return torn(off, "a record cut short by the end of the file");
    }
    byte[] payload = new byte[length];
    data.position(off + Wal.HEADER_BYTES);
    data.get(payload);
    CRC32C crc = new CRC32C();
    crc.update(payload);
    if ((int) crc.getValue() != payloadCrc) {
      if (end == data.limit()) {
        return torn(off, "a final record with a bad checksum");
      }
      throw new WalCorruptException(file, off, "record payload checksum mismatch");
    }
    return new Record(type, payload, off);
  }

  private Record torn(int off, String what) {
    if (!lastSegment) {
      throw new WalCorruptException(file, off, what + " in a segment that is not the last");
    }
    tornAt = off;
    data.position(data.limit());
    return null;
  }
}
