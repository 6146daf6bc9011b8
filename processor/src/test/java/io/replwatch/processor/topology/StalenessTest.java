package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.CollectorStatus;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.PollStatus;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import io.replwatch.processor.state.StateCodec;
import java.time.Duration;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The staleness stage on wall-clock time: silent nodes become UNKNOWN, and after node_retention are forgotten. */
class StalenessTest {

    private final RecordingOutputs out = new RecordingOutputs();

    private static <V> KeyValueStore<String, V> store(final String name, final org.apache.kafka.common.serialization.Serde<V> serde) {
        final KeyValueStore<String, V> s = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde)
                .withLoggingDisabled().build();
        s.init(new MockProcessorContext<>().getStateStoreContext(), s);
        return s;
    }

    @Test
    void aSilentNodeGoesStaleThenIsForgottenAfterTheRetention() {
        final TopologySettings settings = TopologySettings.defaults();
        final KeyValueStore<String, NodeState> nodes = store("n", StateCodec.nodeSerde());
        final KeyValueStore<String, ClusterState> clusters = store("c", StateCodec.clusterSerde());
        final TaskState state = new TaskState(nodes, clusters);
        state.load(0, new TreeMap<>());
        final NodeState ns = state.node("c", "old-standby", 1_000);
        ns.lastSeenWall = 0L;
        ns.lastSampleAt = 1_000L;
        ns.status = PollStatus.OK;
        ns.state = HealthState.HEALTHY;
        state.saveNode(ns);
        state.cluster("c").outOfRecovery.put("old-standby", 1_000L);
        final NodeViews views = new NodeViews(settings);
        final HealthStage health = new HealthStage(settings, out);
        final Staleness staleness = new Staleness(state, views, health, new WalWindows(settings, out),
                new LagWindows(settings.lagRateWindow(), out), Duration.ofHours(1),
                statuses(store("s", Serdes.ByteArray()), settings));

        staleness.punctuate(10_000);
        assertThat(out.transitions).as("within the stale limit (15 s)").isEmpty();
        staleness.punctuate(16_000);
        assertThat(out.transitions).extracting(HealthTransition::getToState).containsExactly(HealthState.UNKNOWN);
        staleness.punctuate(3_000_000);
        assertThat(state.nodes()).as("still within the retention").hasSize(1);

        staleness.punctuate(3_600_001);
        assertThat(state.nodes()).isEmpty();
        assertThat(nodes.get("c/old-standby")).as("its state deleted (a changelog tombstone)").isNull();
        assertThat(state.cluster("c").outOfRecovery).doesNotContainKey("old-standby");
        assertThat(out.nodeHealth).last().as("its node-health record deleted").isNull();
    }

    private static final java.util.Map<String, Object> SERDE = java.util.Map.of(
            io.replwatch.serde.SerdeConfig.SCHEMA_REGISTRY_URL, "mock://staleness-test");

    private static CollectorStatuses statuses(final KeyValueStore<String, byte[]> store, final TopologySettings settings) {
        final io.replwatch.serde.AvroDeserializer<CollectorStatus> d = new io.replwatch.serde.AvroDeserializer<>(
                CollectorStatus.class);
        d.configure(SERDE, false);
        return new CollectorStatuses(store, d, settings.collectorTakeover());
    }

    private static byte[] status(final String id, final boolean alive, final java.util.List<String> unclaimed) {
        final io.replwatch.serde.AvroSerializer<CollectorStatus> ser = new io.replwatch.serde.AvroSerializer<>();
        ser.configure(SERDE, false);
        return ser.serialize(io.replwatch.schemas.Topics.COLLECTOR_STATUS, CollectorStatus.newBuilder().setCollectorId(id)
                .setAlive(alive).setLastHeartbeatAt(java.time.Instant.EPOCH).setClusters(java.util.List.of("c"))
                .setUnclaimed(unclaimed).setDown(!unclaimed.isEmpty()).setUpdatedAt(java.time.Instant.EPOCH).build());
    }

    /**
     * A node whose collector sends heartbeats waits the takeover time (30 s) before SAMPLES_STALE; while its
     * collector is gone with the cluster unclaimed it waits on (COLLECTOR_DOWN speaks for it); once the cluster is
     * claimed by a live collector that still does not sample it, it goes stale.
     */
    @Test
    void aNodeOfAGoneCollectorWaitsForTheTakeoverAndIsCoveredByCollectorDown() {
        final TopologySettings settings = TopologySettings.defaults();
        final TaskState state = new TaskState(store("n", StateCodec.nodeSerde()), store("c", StateCodec.clusterSerde()));
        state.load(0, new TreeMap<>());
        final NodeState ns = state.node("c", "db-1", 1_000);
        ns.lastSeenWall = 0L;
        ns.lastSampleAt = 1_000L;
        ns.status = PollStatus.OK;
        ns.state = HealthState.HEALTHY;
        ns.collectorId = "col-a";
        state.saveNode(ns);
        final KeyValueStore<String, byte[]> statusStore = store("s", Serdes.ByteArray());
        statusStore.put("col-a", status("col-a", true, java.util.List.of()));
        final Staleness staleness = new Staleness(state, new NodeViews(settings), new HealthStage(settings, out),
                new WalWindows(settings, out), new LagWindows(settings.lagRateWindow(), out), Duration.ofHours(1),
                statuses(statusStore, settings));

        staleness.punctuate(16_000);
        assertThat(out.transitions).as("past the stale limit, within the takeover time").isEmpty();
        statusStore.put("col-a", status("col-a", false, java.util.List.of("c")));
        staleness.punctuate(31_000);
        staleness.punctuate(600_000);
        assertThat(out.transitions).as("its collector gone, its cluster unclaimed: COLLECTOR_DOWN speaks for it")
                .isEmpty();
        statusStore.put("col-a", status("col-a", false, java.util.List.of()));
        staleness.punctuate(601_000);
        assertThat(out.transitions).as("claimed by a live collector that does not sample it").hasSize(1);
        assertThat(out.transitions.get(0).getReasons()).extracting(r -> r.getRule()).containsExactly("SAMPLES_STALE");
    }
}
