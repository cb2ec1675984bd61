package io.kvorum.storage.mvcc;

import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KeyValue;
import io.kvorum.storage.KeyOrder;

/**
 * etcd's {@code compareKV}: one txn compare against one key-value (a missing key is the empty
 * KeyValue: version, revisions and lease 0). The LEASE target (enum value 4, value in field 8) is
 * newer than the bundled jetcd-grpc protos; it arrives as an unrecognized enum value and an
 * unknown field, and is honoured.
 */
final class Compares {
  private static final int TARGET_LEASE = 4;
  private static final int FIELD_LEASE = 8;

  private Compares() {}

  static boolean holds(Compare c, KeyValue kv) {
    int result;
    if (c.getTargetValue() == TARGET_LEASE) {
      result = Long.compare(kv.getLease(), compareLease(c));
    } else {
      result = switch (c.getTarget()) {
        case VALUE -> KeyOrder.compare(kv.getValue(), c.getValue());
        case CREATE -> Long.compare(kv.getCreateRevision(), c.getCreateRevision());
        case MOD -> Long.compare(kv.getModRevision(), c.getModRevision());
        case VERSION -> Long.compare(kv.getVersion(), c.getVersion());
        case UNRECOGNIZED -> throw new IllegalArgumentException(
            "unknown compare target " + c.getTargetValue());
      };
    }
    return switch (c.getResult()) {
      case EQUAL -> result == 0;
      case NOT_EQUAL -> result != 0;
      case GREATER -> result > 0;
      case LESS -> result < 0;
      case UNRECOGNIZED -> throw new IllegalArgumentException(
          "unknown compare result " + c.getResultValue());
    };
  }

  /** The {@code lease} value of a LEASE compare: field 8, unknown to the bundled protos. */
  private static long compareLease(Compare c) {
    UnknownFieldSet.Field f = c.getUnknownFields().getField(FIELD_LEASE);
    return f == null || f.getVarintList().isEmpty() ? 0 : f.getVarintList().getLast();
  }

}
