package io.replwatch.processor.topology;

import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.config.StoreKind;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.HashKeyValueStore;
import io.replwatch.processor.state.StateCodec;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.AvroSerde;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the processor's topology; tests drive this very topology with TopologyTestDriver.
 *
 * <pre>
 * replwatch.samples (raw bytes) -> replication-state [node-state, cluster-state, primary-history, node-health]
 *     -> replwatch.wal-throughput | replwatch.lag-rates | replwatch.health-transitions
 *     -> replwatch.node-health (compacted, key cluster/node) | replwatch.dead-letter
 *     -> replwatch.logical-consumers (compacted, key cluster/node/slot)
 * replwatch.logical-consumers -> global store logical-consumers (read by the processor of every task)
 * </pre>
 *
 * Samples are read as bytes and decoded inside the processor, so that an undecodable record becomes a
 * dead letter (with its bytes and reason) instead of stopping the stream.
 */
public final class ProcessorTopology {

    private ProcessorTopology() {
    }

    /** @param serdeConfig serde settings ({@code schema.registry.url} and friends) */
    public static Topology build(final TopologySettings settings, final Map<String, ?> serdeConfig) {
        return build(settings, serdeConfig, StoreKind.MEMORY);
    }

    public static Topology build(final TopologySettings settings, final Map<String, ?> serdeConfig, final StoreKind kind) {
        return build(settings, serdeConfig, kind, ProcessorMetrics.NONE);
    }

    /** @param metrics counts what Kafka Streams' metrics do not (samples with a skewed clock) */
    public static Topology build(final TopologySettings settings, final Map<String, ?> serdeConfig, final StoreKind kind,
                                 final ProcessorMetrics metrics) {
        final AvroDeserializer<ReplicationSample> samples = new AvroDeserializer<>(ReplicationSample.class);
        samples.configure(serdeConfig, false);
        final AvroDeserializer<LagRate> lagRates = new AvroDeserializer<>(LagRate.class);
        lagRates.configure(serdeConfig, false);
        final Topology t = new Topology();
        t.addSource(Names.SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), Topics.SAMPLES);
        final AvroDeserializer<io.replwatch.avro.CollectorStatus> statuses =
                new AvroDeserializer<>(io.replwatch.avro.CollectorStatus.class);
        statuses.configure(serdeConfig, false);
        t.addProcessor(Names.PROCESSOR, () -> new ReplicationProcessor(settings, samples, lagRates, metrics, statuses),
                Names.SOURCE);
        // The processor reads these three by key, from its own copy, and walks them once at task start.
        t.addStateStore(Stores.keyValueStoreBuilder(store(kind, Names.NODE_STATE_STORE),
                Serdes.String(), StateCodec.nodeSerde()), Names.PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(store(kind, Names.CLUSTER_STATE_STORE),
                Serdes.String(), StateCodec.clusterSerde()), Names.PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(store(kind, Names.HISTORY_STORE),
                Serdes.String(), Serdes.Long()), Names.PROCESSOR);
        // The HTTP API scans this one by cluster prefix: a sorted store either way.
        t.addStateStore(Stores.keyValueStoreBuilder(kind == StoreKind.MEMORY ? Stores.inMemoryKeyValueStore(Names.NODE_HEALTH_STORE)
                : Stores.persistentKeyValueStore(Names.NODE_HEALTH_STORE),
                Serdes.String(), AvroSerde.forValues(NodeHealth.class, serdeConfig)), Names.PROCESSOR);
        sink(t, Names.WAL_THROUGHPUT_SINK, Topics.WAL_THROUGHPUT, WalThroughput.class, serdeConfig);
        sink(t, Names.LAG_RATES_SINK, Topics.LAG_RATES, LagRate.class, serdeConfig);
        sink(t, Names.TRANSITIONS_SINK, Topics.HEALTH_TRANSITIONS, HealthTransition.class, serdeConfig);
        sink(t, Names.NODE_HEALTH_SINK, Topics.NODE_HEALTH, NodeHealth.class, serdeConfig);
        sink(t, Names.DEAD_LETTER_SINK, Topics.DEAD_LETTER, DeadLetter.class, serdeConfig);
        sink(t, Names.ROLLUPS_SINK, Topics.ROLLUPS, io.replwatch.avro.CapacityRollup.class, serdeConfig);
        sink(t, Names.LOGICAL_CONSUMERS_SINK, Topics.LOGICAL_CONSUMERS, LagRate.class, serdeConfig);
        // A subscriber and its publisher are two clusters, on any two tasks: each task reads every primary's
        // latest logical-slot figures from a global copy. Kept as bytes and decoded only when a subscription is
        // judged, so a registry outage cannot stop the global thread (and with it the instance).
        t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.LOGICAL_CONSUMERS_STORE),
                        Serdes.String(), Serdes.ByteArray()).withLoggingDisabled(),
                Names.LOGICAL_CONSUMERS_SOURCE, new StringDeserializer(), new ByteArrayDeserializer(),
                Topics.LOGICAL_CONSUMERS, Names.LOGICAL_CONSUMERS_LOADER, LogicalConsumersLoader::new);
        collectors(t, settings, serdeConfig, kind);
        return t;
    }

    /**
     * replwatch.collectors (one partition) -> collector-watch [collector-heartbeats, collector-watch-status]
     *     -> replwatch.collector-status | replwatch.health-transitions (COLLECTOR_DOWN) | replwatch.dead-letter;
     * replwatch.collector-status -> global store collector-status (read by every task's staleness check).
     * A subtopology of its own: its sinks are not the sample processor's, so the two sources need not be
     * co-partitioned.
     */
    private static void collectors(final Topology t, final TopologySettings settings, final Map<String, ?> serdeConfig,
                                   final StoreKind kind) {
        final AvroDeserializer<io.replwatch.avro.CollectorHeartbeat> heartbeats =
                new AvroDeserializer<>(io.replwatch.avro.CollectorHeartbeat.class);
        heartbeats.configure(serdeConfig, false);
        t.addSource(Names.COLLECTORS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), Topics.COLLECTORS);
        t.addProcessor(Names.WATCH, () -> new CollectorWatch(settings, heartbeats), Names.COLLECTORS_SOURCE);
        t.addStateStore(Stores.keyValueStoreBuilder(store(kind, Names.HEARTBEATS_STORE), Serdes.String(),
                Serdes.ByteArray()), Names.WATCH);
        t.addStateStore(Stores.keyValueStoreBuilder(store(kind, Names.WATCH_STORE), Serdes.String(),
                Serdes.ByteArray()), Names.WATCH);
        sinkOf(t, Names.COLLECTOR_STATUS_SINK, Topics.COLLECTOR_STATUS, io.replwatch.avro.CollectorStatus.class,
                serdeConfig, Names.WATCH);
        sinkOf(t, Names.WATCH_TRANSITIONS_SINK, Topics.HEALTH_TRANSITIONS, HealthTransition.class, serdeConfig, Names.WATCH);
        sinkOf(t, Names.WATCH_DEAD_LETTER_SINK, Topics.DEAD_LETTER, DeadLetter.class, serdeConfig, Names.WATCH);
        t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.COLLECTOR_STATUS_STORE),
                        Serdes.String(), Serdes.ByteArray()).withLoggingDisabled(),
                Names.COLLECTOR_STATUS_SOURCE, new StringDeserializer(), new ByteArrayDeserializer(),
                Topics.COLLECTOR_STATUS, Names.COLLECTOR_STATUS_LOADER, CollectorStatuses.Loader::new);
    }

    private static KeyValueBytesStoreSupplier store(final StoreKind kind, final String name) {
        return kind == StoreKind.MEMORY ? HashKeyValueStore.supplier(name) : Stores.persistentKeyValueStore(name);
    }

    private static <T extends SpecificRecord> void sink(final Topology t, final String name, final String topic,
                                                        final Class<T> type, final Map<String, ?> serdeConfig) {
        sinkOf(t, name, topic, type, serdeConfig, Names.PROCESSOR);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <T extends SpecificRecord> void sinkOf(final Topology t, final String name, final String topic,
                                                          final Class<T> type, final Map<String, ?> serdeConfig,
                                                          final String parent) {
        final Serde<T> serde = AvroSerde.forValues(type, serdeConfig);
        t.addSink(name, topic, (Serializer) Serdes.String().serializer(), (Serializer) serde.serializer(), parent);
    }
}
