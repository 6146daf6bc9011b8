package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

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
        final Staleness staleness = new Staleness(state, views, health, new WalWindows(settings, out), Duration.ofHours(1));

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
}
