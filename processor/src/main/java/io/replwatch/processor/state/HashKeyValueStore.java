package io.replwatch.processor.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * An in-memory key-value store on a hash map, for stores the processor reads by key and walks only once, at task
 * start (node and cluster state, the primaries' LSN history).
 *
 * <p>Kafka Streams' own in-memory store keeps a sorted map and, since 4.4, stages every write in a second sorted
 * map until the commit: two ordered inserts with byte-wise key comparisons for each of the several state writes a
 * sample causes, 9 % of the processor's time in the benchmark's profile (BENCHMARKS.md). Here a write is one hash
 * insert. What makes the state durable is unchanged: the store is wrapped in the same change-logging and metering
 * layers, so every write still goes to the changelog inside the task's transaction, and after a crash or a
 * migration the store is rebuilt from the changelog (read_committed) before the task processes anything.
 *
 * <p>{@link #all()} has no order (the interface promises none). {@link #range}, {@link #reverseRange} and
 * {@link #prefixScan} are answered correctly, in key order, by sorting the matching keys: linear in the store's
 * size, so they are for tools and tests, not for the hot path. Iterators work on a snapshot and never see later
 * writes.
 */
public final class HashKeyValueStore implements KeyValueStore<Bytes, byte[]> {

    private final String name;
    private final Map<Bytes, byte[]> map = new HashMap<>();
    private volatile boolean open;
    private StateStoreContext context;
    /** The input offsets the store reflects (Kafka Streams adds them to changelog records for consistent queries). */
    private final Position position = Position.emptyPosition();

    public HashKeyValueStore(final String name) {
        this.name = name;
    }

    /** A supplier for {@code Stores.keyValueStoreBuilder}, which adds the changelog and the metrics. */
    public static KeyValueBytesStoreSupplier supplier(final String name) {
        return new KeyValueBytesStoreSupplier() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public KeyValueStore<Bytes, byte[]> get() {
                return new HashKeyValueStore(name);
            }

            @Override
            public String metricsScope() {
                return "in-memory-hash";
            }
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(final StateStoreContext context, final StateStore root) {
        this.context = context;
        if (root != null) {
            // Restoration from the changelog: a null value is a tombstone.
            context.register(root, (key, value) -> put(Bytes.wrap(key), value));
        }
        open = true;
    }

    @Override
    public Position getPosition() {
        return position;
    }

    private void track() {
        if (context != null) {
            // A punctuation has no input record (its metadata carries no topic).
            context.recordMetadata().filter(m -> m.topic() != null)
                    .ifPresent(m -> position.withComponent(m.topic(), m.partition(), m.offset()));
        }
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public synchronized byte[] get(final Bytes key) {
        return map.get(key);
    }

    @Override
    public synchronized void put(final Bytes key, final byte[] value) {
        if (value == null) {
            map.remove(key);
        } else {
            map.put(key, value);
        }
        track();
    }

    @Override
    public synchronized byte[] putIfAbsent(final Bytes key, final byte[] value) {
        final byte[] old = map.get(key);
        if (old == null) {
            put(key, value);
        }
        return old;
    }

    @Override
    public synchronized void putAll(final List<KeyValue<Bytes, byte[]>> entries) {
        for (final KeyValue<Bytes, byte[]> e : entries) {
            put(e.key, e.value);
        }
    }

    @Override
    public synchronized byte[] delete(final Bytes key) {
        track();
        return map.remove(key);
    }

    @Override
    public synchronized KeyValueIterator<Bytes, byte[]> all() {
        final List<KeyValue<Bytes, byte[]>> snapshot = new ArrayList<>(map.size());
        map.forEach((k, v) -> snapshot.add(KeyValue.pair(k, v)));
        return new ListIterator(snapshot);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(final Bytes from, final Bytes to) {
        return sorted(from, to, false);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseRange(final Bytes from, final Bytes to) {
        return sorted(from, to, true);
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(final P prefix,
                                                                                     final PS prefixKeySerializer) {
        final byte[] p = prefixKeySerializer.serialize(null, prefix);
        final List<KeyValue<Bytes, byte[]>> out = new ArrayList<>();
        synchronized (this) {
            map.forEach((k, v) -> {
                if (startsWith(k.get(), p)) {
                    out.add(KeyValue.pair(k, v));
                }
            });
        }
        out.sort((a, b) -> a.key.compareTo(b.key));
        return new ListIterator(out);
    }

    private KeyValueIterator<Bytes, byte[]> sorted(final Bytes from, final Bytes to, final boolean reverse) {
        final List<KeyValue<Bytes, byte[]>> out = new ArrayList<>();
        synchronized (this) {
            map.forEach((k, v) -> {
                if ((from == null || k.compareTo(from) >= 0) && (to == null || k.compareTo(to) <= 0)) {
                    out.add(KeyValue.pair(k, v));
                }
            });
        }
        out.sort(reverse ? (a, b) -> b.key.compareTo(a.key) : (a, b) -> a.key.compareTo(b.key));
        return new ListIterator(out);
    }

    private static boolean startsWith(final byte[] key, final byte[] prefix) {
        if (key.length < prefix.length) {
            return false;
        }
        return java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public synchronized long approximateNumEntries() {
        return map.size();
    }

    @Override
    public void flush() {
        // Nothing to flush: durability is the changelog's.
    }

    @Override
    public synchronized void close() {
        map.clear();
        open = false;
    }

    private static final class ListIterator implements KeyValueIterator<Bytes, byte[]> {
        private final Iterator<KeyValue<Bytes, byte[]>> it;
        private KeyValue<Bytes, byte[]> next;

        ListIterator(final List<KeyValue<Bytes, byte[]>> items) {
            this.it = items.iterator();
        }

        @Override
        public boolean hasNext() {
            return next != null || it.hasNext();
        }

        @Override
        public KeyValue<Bytes, byte[]> next() {
            if (next != null) {
                final KeyValue<Bytes, byte[]> n = next;
                next = null;
                return n;
            }
            if (!it.hasNext()) {
                throw new NoSuchElementException();
            }
            return it.next();
        }

        @Override
        public Bytes peekNextKey() {
            if (next == null) {
                if (!it.hasNext()) {
                    throw new NoSuchElementException();
                }
                next = it.next();
            }
            return next.key;
        }

        @Override
        public void close() {
            // A snapshot: nothing to release.
        }
    }
}
