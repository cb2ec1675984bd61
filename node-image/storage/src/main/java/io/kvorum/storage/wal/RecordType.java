package io.kvorum.storage.wal;

/** What a WAL record holds; the byte is stored in each record header. */
enum RecordType {
  /** Opaque bytes the server stores once per WAL (cluster id, member id). */
  METADATA(1),
  /** A Raft {@code Entry}. A later entry with the same index replaces it and all after it. */
  ENTRY(2),
  /** A Raft {@code HardState}; the last one wins. */
  HARD_STATE(3),
  /** A {@code SnapshotMetadata}: a snapshot with this index/term was saved in snap/. */
  SNAPSHOT(4);

  final byte code;

  RecordType(int code) {
    this.code = (byte) code;
  }

  static RecordType of(byte code) {
    for (RecordType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
