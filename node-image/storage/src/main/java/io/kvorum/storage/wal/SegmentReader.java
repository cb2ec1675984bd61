package io.kvorum.storage.wal;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/** Reads the records of one segment and applies {@link Wal}'s recovery rules to its end. */
final class SegmentReader {
  record Record(RecordType type, byte[] payload, long offset) {}

  private static final byte[] ZEROS = new byte[64 * 1024];

  private final Path file;
  private final ByteBuffer data;
  private final boolean lastSegment;
  private int end = -1;
  /** The offset of the segment's last non-zero byte (-1: none), found on first use. */
  private int lastNonZero = Integer.MIN_VALUE;

  SegmentReader(Path file, byte[] bytes, boolean lastSegment) {
    this.file = file;
    this.data = ByteBuffer.wrap(bytes);
    this.lastSegment = lastSegment;
  }

  /**
   * Where the records end, once {@link #next()} returned null: the offset a writer appends at.
   * After it come the segment's preallocated zeros, possibly with a torn write among them.
   */
  long end() {
    return end;
  }

  /**
   * How many bytes after {@link #end()} a torn write left: up to the last non-zero byte. Zero
   * when the segment ends cleanly, at the end of the file or in zeros.
   */
  long tornBytes() {
    return Math.max(0, lastNonZero() + 1L - end);
  }

  /** The next record, or null at the end (clean or torn). */
  Record next() {
    int off = data.position();
    int remaining = data.remaining();
    if (remaining == 0) {
      return end(off);
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
      if (zeroFrom(off + Wal.HEADER_BYTES)) {
        return torn(off, "a final record header written in part");
      }
      throw new WalCorruptException(file, off, "record header checksum mismatch");
    }
    RecordType type = RecordType.of(typeCode);
    if (type == null || length < 0) {
      throw new WalCorruptException(file, off, "unknown record type " + typeCode);
    }
    long recordEnd = (long) off + Wal.HEADER_BYTES + length;
    if (recordEnd > data.limit()) {
      return torn(off, "a record cut short by the end of the file");
    }
    byte[] payload = new byte[length];
    data.position(off + Wal.HEADER_BYTES);
    data.get(payload);
    CRC32C crc = new CRC32C();
    crc.update(payload);
    if ((int) crc.getValue() != payloadCrc) {
      if (zeroFrom((int) recordEnd)) {
        return torn(off, "a final record with a bad checksum");
      }
      throw new WalCorruptException(file, off, "record payload checksum mismatch");
    }
    return new Record(type, payload, off);
  }

  /**
   * The records end before a write a crash cut short (or, in the last segment, before its
   * preallocated zeros). Only the last segment may end so: an earlier one was complete when the
   * next was started.
   */
  private Record torn(int off, String what) {
    if (!lastSegment) {
      throw new WalCorruptException(file, off, what + " in a segment that is not the last");
    }
    return end(off);
  }

  private Record end(int off) {
    end = off;
    data.position(data.limit());
    return null;
  }

  /** Whether every byte from {@code from} to the end of the segment is zero (or none is left). */
  private boolean zeroFrom(int from) {
    return lastNonZero() < from;
  }

  /** Scans back from the end, a chunk of zeros at a time: a preallocated tail is mostly zeros. */
  private int lastNonZero() {
    if (lastNonZero == Integer.MIN_VALUE) {
      byte[] bytes = data.array();
      int last = -1;
      for (int at = bytes.length; at > 0 && last < 0; at -= ZEROS.length) {
        int from = Math.max(0, at - ZEROS.length);
        if (Arrays.mismatch(bytes, from, at, ZEROS, 0, at - from) >= 0) {
          last = at - 1;
          while (bytes[last] == 0) {
            last--;
          }
        }
      }
      lastNonZero = last;
    }
    return lastNonZero;
  }
}
