package io.replwatch.processor.topology;

import io.replwatch.processor.lag.LsnHistory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The primary-history store: one record per (cluster, time) point of a primary's LSN history, key
 * {@code cluster\0<16 hex digits of time>}, so that a new point costs one small write instead of rewriting the
 * whole history under exactly-once. The in-memory {@link LsnHistory} is the truth while the task runs; this keeps
 * the store (and its changelog) equal to it.
 */
final class HistoryStore {

    private final KeyValueStore<String, Long> store;

    HistoryStore(final KeyValueStore<String, Long> store) {
        this.store = store;
    }

    /** Every cluster's points, in time order: one walk of the store at task start. */
    Map<String, TreeMap<Long, Long>> loadAll() {
        final Map<String, TreeMap<Long, Long>> points = new HashMap<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, Long> kv = it.next();
                final int sep = kv.key.lastIndexOf('\u0000');
                points.computeIfAbsent(kv.key.substring(0, sep), c -> new TreeMap<>())
                        .put(Long.parseLong(kv.key.substring(sep + 1), 16), kv.value);
            }
        }
        return points;
    }

    /** Deletes every stored point of {@code history} (a failover starts a new history). */
    void clear(final String cluster, final LsnHistory history) {
        for (final Long time : history.times) {
            store.delete(key(cluster, time));
        }
    }

    /**
     * Writes the points the last {@link LsnHistory#add} created (or changed) and deletes the ones it dropped: both
     * lists are in time order, so one merge walk finds them (a primary sample usually appends one point and maybe
     * drops the oldest; thinning or a reset change more).
     */
    void persist(final String cluster, final List<Long> before, final LsnHistory history) {
        final List<Long> after = history.times;
        int i = 0;
        int j = 0;
        while (i < before.size() || j < after.size()) {
            final long b = i < before.size() ? before.get(i) : Long.MAX_VALUE;
            final long a = j < after.size() ? after.get(j) : Long.MAX_VALUE;
            if (b < a) {
                store.delete(key(cluster, b));
                i++;
            } else if (a < b) {
                store.put(key(cluster, a), history.lsns.get(j));
                j++;
            } else {
                if (j == after.size() - 1) {
                    // The newest point may have moved to a later position at the same time.
                    store.put(key(cluster, a), history.lsns.get(j));
                }
                i++;
                j++;
            }
        }
    }

    static String key(final String cluster, final long time) {
        final String hex = Long.toHexString(time);
        return cluster + '\u0000' + "0000000000000000".substring(hex.length()) + hex;
    }
}
