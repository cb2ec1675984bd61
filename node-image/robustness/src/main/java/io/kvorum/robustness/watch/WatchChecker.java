package io.kvorum.robustness.watch;

import io.kvorum.robustness.history.History;
import io.kvorum.robustness.history.KvInput;
import io.kvorum.robustness.history.KvOutput;
import io.kvorum.robustness.history.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks what watchers received against what writers were told.
 *
 * <p>For every watcher:
 * <ol>
 *   <li><b>Order:</b> revisions never go down, and no (revision, key) is delivered twice (a
 *       watcher that reconnects must resume after the last revision it saw).</li>
 *   <li><b>Range:</b> every event is in the watched range and not before the start revision.</li>
 *   <li><b>Completeness:</b> every acknowledged write in the range with a revision from the
 *       start revision up to {@code upToRevision} is delivered, with that revision and value.
 *       A delete counts only when it deleted something.</li>
 *   <li><b>Validity:</b> every event is a write that happened: the acknowledged write at that
 *       revision, or a write with an unknown outcome of that key and value (which then did
 *       happen).</li>
 * </ol>
 * Across watchers, one revision is one event: all watchers agree on its key and value.
 *
 * <p>Assumes what the load client guarantees: every write touches one key, and every written
 * value is unique, so a value names its write. Example: a client is told {@code put(a=v7)} got
 * revision 12; a watcher on {@code a} from revision 10 that has {@code put(a=v6)@11,
 * put(a=v8)@13} missed revision 12 and fails; one that has {@code put(a=v7)@12} twice fails too.
 */
public final class WatchChecker {

    public WatchReport check(List<WatchLog> logs, History history, long upToRevision) {
        Map<Long, Operation> ackedByRevision = new HashMap<>();
        List<String> violations = new ArrayList<>();
        Set<String> unknownWrites = new HashSet<>();
        for (Operation op : history.operations()) {
            WatchEvent effect = effectOf(op);
            if (effect != null) {
                Operation other = ackedByRevision.put(effect.modRevision(), op);
                if (other != null) {
                    violations.add("two acknowledged writes got revision " + effect.modRevision() + ": " + other + " and " + op);
                }
            } else if (op.isUnknown() && op.input().isWrite()) {
                unknownWrites.add(signature(op.key(), writtenValue(op.input())));
            }
        }
        Map<Long, WatchEvent> agreed = new HashMap<>();
        long checked = 0;
        for (WatchLog log : logs) {
            checked += log.events().size();
            checkOne(log, ackedByRevision, unknownWrites, agreed, upToRevision, violations);
        }
        return new WatchReport(checked, violations);
    }

    private static void checkOne(WatchLog log, Map<Long, Operation> ackedByRevision, Set<String> unknownWrites,
                                 Map<Long, WatchEvent> agreed, long upToRevision, List<String> violations) {
        String who = "watcher " + log.watcher() + " (prefix '" + log.prefix() + "' from " + log.startRevision() + ")";
        long lastRevision = 0;
        Set<Long> delivered = new HashSet<>();
        for (WatchEvent e : log.events()) {
            if (e.modRevision() < lastRevision) {
                violations.add(who + ": " + e + " arrived after revision " + lastRevision + " (out of order)");
            }
            lastRevision = Math.max(lastRevision, e.modRevision());
            if (!delivered.add(e.modRevision())) {
                violations.add(who + ": " + e + " delivered twice");
            }
            if (!e.key().startsWith(log.prefix()) || e.modRevision() < log.startRevision()) {
                violations.add(who + ": " + e + " is outside the watched range");
            }
            WatchEvent first = agreed.putIfAbsent(e.modRevision(), e);
            if (first != null && !first.equals(e)) {
                violations.add(who + ": " + e + " but another watcher got " + first + " for that revision");
            }
            Operation acked = ackedByRevision.get(e.modRevision());
            if (acked != null) {
                WatchEvent expected = effectOf(acked);
                if (!expected.equals(e)) {
                    violations.add(who + ": " + e + " but revision " + e.modRevision() + " was acknowledged to " + acked);
                }
            } else if (!unknownWrites.contains(signature(e.key(), e.value()))) {
                violations.add(who + ": " + e + " matches no write of the history (a value nobody wrote, "
                        + "or an acknowledged write at another revision)");
            }
        }
        ackedByRevision.forEach((revision, op) -> {
            if (revision >= log.startRevision() && revision <= upToRevision && op.key().startsWith(log.prefix())
                    && !delivered.contains(revision)) {
                violations.add(who + ": missing " + effectOf(op) + " acknowledged to " + op);
            }
        });
    }

    /** The event an acknowledged write must produce, or null when it produces none (or is not acknowledged). */
    public static WatchEvent effectOf(Operation op) {
        return switch (op.output()) {
            case KvOutput.Written w when op.input() instanceof KvInput.Put put ->
                    new WatchEvent(put.key(), put.value(), w.revision());
            case KvOutput.Swapped s when s.succeeded() && op.input() instanceof KvInput.Cas cas ->
                    new WatchEvent(cas.key(), cas.next(), s.revision());
            case KvOutput.Deleted d when d.count() > 0 -> new WatchEvent(op.key(), null, d.revision());
            default -> null;
        };
    }

    private static String writtenValue(KvInput input) {
        return switch (input) {
            case KvInput.Put put -> put.value();
            case KvInput.Cas cas -> cas.next();
            default -> null;
        };
    }

    private static String signature(String key, String value) {
        return key + "\u0000" + (value == null ? "\u0000delete" : value);
    }
}
