package io.kvorum.raft;

import io.kvorum.raft.pb.Entry;
import java.util.List;

/** Helpers over lists of log entries. */
final class Entries {

  private Entries() {}

  /**
   * The longest prefix of {@code entries} whose serialized size stays within {@code maxBytes},
   * but never less than one entry, so a single oversized entry still makes progress.
   *
   * <p>Example: sizes [40, 40, 40] with maxBytes 100 give the first two entries; with maxBytes 10
   * they give the first one.
   */
  static List<Entry> limitSize(List<Entry> entries, long maxBytes) {
    if (entries.isEmpty()) {
      return entries;
    }
    long size = entries.get(0).getSerializedSize();
    int limit = 1;
    while (limit < entries.size()) {
      size += entries.get(limit).getSerializedSize();
      if (size > maxBytes) {
        break;
      }
      limit++;
    }
    return limit == entries.size() ? entries : entries.subList(0, limit);
  }

  /** The payload bytes of {@code entries}: what counts against the uncommitted-size limit. */
  static long payloadSize(List<Entry> entries) {
    long size = 0;
    for (Entry e : entries) {
      size += e.getData().size();
    }
    return size;
  }
}
