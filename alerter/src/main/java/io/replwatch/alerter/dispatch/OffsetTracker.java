package io.replwatch.alerter.dispatch;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets may be committed: per partition, everything below the oldest record whose token is not settled.
 * Thread-safe: tokens settle on delivery threads, the consumer thread reads {@link #committable()}.
 */
public final class OffsetTracker {

    private final Map<TopicPartition, TreeSet<Long>> pending = new HashMap<>();
    private final Map<TopicPartition, Long> next = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();

    /** A token for the record at {@code offset}; its offset stays pending until the token settles. */
    public synchronized Token track(final TopicPartition tp, final long offset) {
        pending.computeIfAbsent(tp, k -> new TreeSet<>()).add(offset);
        next.merge(tp, offset + 1, Math::max);
        return new Token(() -> settle(tp, offset));
    }

    private synchronized void settle(final TopicPartition tp, final long offset) {
        final TreeSet<Long> p = pending.get(tp);
        if (p != null) {
            p.remove(offset);
        }
    }

    /** Offsets to commit now (only partitions whose committable offset moved since the last call). */
    public synchronized Map<TopicPartition, Long> committable() {
        final Map<TopicPartition, Long> out = new HashMap<>();
        for (final Map.Entry<TopicPartition, Long> e : next.entrySet()) {
            final TreeSet<Long> p = pending.get(e.getKey());
            final long c = p == null || p.isEmpty() ? e.getValue() : p.first();
            if (!Long.valueOf(c).equals(committed.get(e.getKey()))) {
                out.put(e.getKey(), c);
            }
        }
        return out;
    }

    public synchronized void markCommitted(final Map<TopicPartition, Long> offsets) {
        committed.putAll(offsets);
    }

    /** Forgets partitions taken away by a rebalance. */
    public synchronized void forget(final java.util.Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> {
            pending.remove(tp);
            next.remove(tp);
            committed.remove(tp);
        });
    }

    public synchronized int pendingCount() {
        return pending.values().stream().mapToInt(TreeSet::size).sum();
    }
}
