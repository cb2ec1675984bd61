package io.kvorum.server.auth;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Permission;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A set of keys as the union of half-open ranges, in etcd's key-range vocabulary, answering
 * "does this set contain every key the request names?" (etcd's {@code unifiedRangePermissions}).
 *
 * <p>A permission or a request names keys with {@code (key, range_end)}:
 *
 * <ul>
 *   <li>{@code range_end} empty: the single key {@code key}, i.e. {@code [key, key+"\0")};
 *   <li>{@code range_end} = {@code "\0"}: every key from {@code key} on ("from key"), {@code
 *       [key, +inf)}; with {@code key} = {@code "\0"} too, every key;
 *   <li>otherwise {@code [key, range_end)}; a prefix {@code p} is {@code [p, p with its last byte
 *       + 1)}, e.g. {@code foo} → {@code [foo, fop)}.
 * </ul>
 *
 * <p>Ranges are kept merged, so a request is covered by the union even when no single
 * permission covers it. Worked example: READ on {@code [a, c)} and on {@code [c, e)} merge into
 * {@code [a, e)}; {@code get a d} ({@code [a, d)}) is covered, {@code get a f} is not, {@code get
 * c} (the point {@code [c, c\0)}) is. A request range that is empty or inverted ({@code range_end
 * <= key}, not {@code "\0"}) touches no key; it is checked as the point {@code key}, so it is
 * allowed only where {@code key} itself is.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeyRangeSet {
  private static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();
  private static final ByteString FROM_KEY = ByteString.copyFrom(new byte[] {0});

  /** {@code end == null}: unbounded. */
  private record Range(ByteString begin, ByteString end) {}

  public static final KeyRangeSet EMPTY = new KeyRangeSet(List.of());

  private final List<Range> merged;

  private KeyRangeSet(List<Range> merged) {
    this.merged = merged;
  }

  /** The union of the permissions' key ranges (their types are the caller's business). */
  public static KeyRangeSet of(Collection<Permission> permissions) {
    List<Range> ranges = new ArrayList<>();
    for (Permission p : permissions) {
      Range r = toRange(p.getKey(), p.getRangeEnd());
      if (r.end() == null || BYTES.compare(r.begin(), r.end()) < 0) {
        ranges.add(r);
      }
    }
    ranges.sort((a, b) -> BYTES.compare(a.begin(), b.begin()));
    List<Range> out = new ArrayList<>();
    for (Range r : ranges) {
      if (!out.isEmpty()) {
        Range last = out.get(out.size() - 1);
        if (last.end() == null) {
          break; // everything from last.begin on is already in
        }
        if (BYTES.compare(r.begin(), last.end()) <= 0) { // overlapping or adjacent
          out.set(out.size() - 1, new Range(last.begin(), maxEnd(last.end(), r.end())));
          continue;
        }
      }
      out.add(r);
    }
    return new KeyRangeSet(List.copyOf(out));
  }

  /** Whether every key of {@code (key, rangeEnd)} is in the set. */
  public boolean covers(ByteString key, ByteString rangeEnd) {
    Range want = toRange(key, rangeEnd);
    if (want.end() != null && BYTES.compare(want.begin(), want.end()) >= 0) {
      want = toRange(key, ByteString.EMPTY);
    }
    for (Range r : merged) {
      if (BYTES.compare(r.begin(), want.begin()) > 0) {
        return false; // sorted: no later range starts at or before the wanted begin
      }
      if (r.end() == null || (want.end() != null && BYTES.compare(want.end(), r.end()) <= 0)) {
        return true;
      }
    }
    return false;
  }

  public boolean isEmpty() {
    return merged.isEmpty();
  }

  private static Range toRange(ByteString key, ByteString rangeEnd) {
    if (rangeEnd.isEmpty()) {
      return new Range(key, key.concat(FROM_KEY));
    }
    if (rangeEnd.equals(FROM_KEY)) {
      return new Range(key, null);
    }
    return new Range(key, rangeEnd);
  }

  private static ByteString maxEnd(ByteString a, ByteString b) {
    if (a == null || b == null) {
      return null;
    }
    return BYTES.compare(a, b) >= 0 ? a : b;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("[");
    for (Range r : merged) {
      s.append(" [").append(r.begin().toStringUtf8()).append(", ")
          .append(r.end() == null ? "+inf" : r.end().toStringUtf8()).append(')');
    }
    return s.append(" ]").toString();
  }
}
