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
     * Writes what the last {@link LsnHistory#add} changed: deletes the points it removed and writes its newest point
     * (the only one it creates or moves). Before, this compared the whole history before and after, point by point:
     * a tenth of the topology's time for a fifth of its samples (BENCHMARKS.md, issue 22).
     */
    void persist(final String cluster, final LsnHistory history) {
        for (final Long time : history.removed) {
            store.delete(key(cluster, time));
        }
        if (!history.isEmpty()) {
            store.put(key(cluster, history.latestTime()), history.latestLsn());
        }
    }

    static String key(final String cluster, final long time) {
        final String hex = Long.toHexString(time);
        return cluster + '\u0000' + "0000000000000000".substring(hex.length()) + hex;
    }
}
