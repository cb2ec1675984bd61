package io.kvorum.storage.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.kvorum.storage.KeyOrder;
import java.util.Comparator;
import java.util.List;

/** Sorting of range results, with etcd's defaults. */
final class RangeSort {
  private RangeSort() {}

  /**
   * etcd's sort rules: results come in ascending key order; a target other than KEY with no
   * order sorts ascending; ties keep key order.
   */
  static void sort(List<KeyValue> kvs, RangeRequest.SortOrder order,
      RangeRequest.SortTarget target) {
    if (target != RangeRequest.SortTarget.KEY && order == RangeRequest.SortOrder.NONE) {
      order = RangeRequest.SortOrder.ASCEND;
    }
    if (order == RangeRequest.SortOrder.NONE
        || target == RangeRequest.SortTarget.KEY && order == RangeRequest.SortOrder.ASCEND) {
      return;
    }
    Comparator<ByteString> bytes = KeyOrder.UNSIGNED;
    Comparator<KeyValue> cmp = switch (target) {
      case KEY -> Comparator.comparing(KeyValue::getKey, bytes);
      case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
      case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
      case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
      case VALUE -> Comparator.comparing(KeyValue::getValue, bytes);
      case UNRECOGNIZED -> throw new IllegalArgumentException("unknown sort target");
    };
    kvs.sort(order == RangeRequest.SortOrder.DESCEND ? cmp.reversed() : cmp);
  }

}
