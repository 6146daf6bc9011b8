package io.replwatch.processor.topology;

import io.replwatch.avro.CollectorStatus;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every task's read of the collectors' status (a global copy of replwatch.collector-status, kept as bytes and
 * decoded only when a node has gone silent): whether a silent node waits for another collector instead of being
 * reported SAMPLES_STALE.
 */
final class CollectorStatuses {

    private static final Logger LOG = LoggerFactory.getLogger(CollectorStatuses.class);

    private final ReadOnlyKeyValueStore<String, byte[]> store;
    private final AvroDeserializer<CollectorStatus> deserializer;
    private final long takeoverMs;

    CollectorStatuses(final ReadOnlyKeyValueStore<String, byte[]> store, final AvroDeserializer<CollectorStatus> deserializer,
                      final java.time.Duration takeover) {
        this.store = store;
        this.deserializer = deserializer;
        this.takeoverMs = takeover.toMillis();
    }

    /** One staleness pass's decoded statuses, by collector (each decoded at most once per pass). */
    final class Pass {
        private final Map<String, CollectorStatus> seen = new HashMap<>();

        /**
         * Whether a node silent for {@code silentMs} (past its stale limit) waits instead of going SAMPLES_STALE: its
         * collector sends heartbeats, and either the takeover time has not passed yet, or the collector is gone and
         * nobody took the node's cluster over (its COLLECTOR_DOWN speaks for the node).
         */
        boolean holds(final NodeState ns, final long silentMs) {
            if (ns.collectorId == null) {
                return false;
            }
            final CollectorStatus st = seen.computeIfAbsent(ns.collectorId, CollectorStatuses.this::read);
            if (st == null) {
                return false; // no heartbeats from it: staleness as for any node
            }
            if (silentMs < takeoverMs) {
                return true;
            }
            return !st.getAlive() && st.getUnclaimed().contains(ns.cluster);
        }
    }

    Pass pass() {
        return new Pass();
    }

    private CollectorStatus read(final String collectorId) {
        final byte[] b = store.get(collectorId);
        if (b == null) {
            return null;
        }
        try {
            return deserializer.deserialize(Topics.COLLECTOR_STATUS, b);
        } catch (final RuntimeException e) {
            LOG.warn("Status of collector {} cannot be read: {}", collectorId, e.getMessage());
            return null;
        }
    }

    /** Keeps the global store: a record replaces the collector's, a tombstone removes it. */
    static final class Loader implements Processor<String, byte[], Void, Void> {

        private KeyValueStore<String, byte[]> store;

        @Override
        public void init(final ProcessorContext<Void, Void> context) {
            store = context.getStateStore(Names.COLLECTOR_STATUS_STORE);
        }

        @Override
        public void process(final Record<String, byte[]> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }
}
