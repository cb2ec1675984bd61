package io.kvorum.robustness.watch;

import java.util.List;

/**
 * Everything one logical watcher received, across reconnects, in arrival order.
 *
 * @param prefix        the watched range: every key starting with it
 * @param startRevision the revision the watch was created from; events before it are not expected
 */
public record WatchLog(String watcher, String prefix, long startRevision, List<WatchEvent> events) {

    public WatchLog {
        events = List.copyOf(events);
    }
}
