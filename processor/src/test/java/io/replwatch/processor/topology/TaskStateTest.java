package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import io.replwatch.processor.state.StateCodec;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * A primary sample writes its cluster's per-sample fields in the primary's node record only (the cluster's record
 * only when something else changed); a task that loads the stores, as after a crash or a rebalance, must see the
 * cluster as the last primary sample left it.
 */
class TaskStateTest {

    private static <V> KeyValueStore<String, V> store(final String name, final Serde<V> serde) {
        final KeyValueStore<String, V> s = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde)
                .withLoggingDisabled().build();
        s.init(new MockProcessorContext<>().getStateStoreContext(), s);
        return s;
    }

    @Test
    void aLoadedTaskSeesTheClusterAsThePrimarysLastSampleLeftIt() {
        final KeyValueStore<String, NodeState> nodes = store("n", StateCodec.nodeSerde());
        final KeyValueStore<String, ClusterState> clusters = store("c", StateCodec.clusterSerde());
        final KeyValueStore<String, Long> history = store("h", Serdes.Long());
        final TaskState before = new TaskState(nodes, clusters);
        final HistoryStore historyStore = new HistoryStore(history);
        before.load(0, historyStore.loadAll());
        final PrimaryTracker tracker = new PrimaryTracker(TopologySettings.defaults(), historyStore);
        int clusterWrites = 0;
        for (int i = 1; i <= 5; i++) {
            final long t = i * 1_000L;
            final NodeState p = before.node("c", "p", t);
            final ClusterState cs = before.cluster("c");
            final boolean changed = tracker.onSample(io.replwatch.processor.Samples.primary("p", t, 100L * i, 1, Map.of("s1", 100L * i - 10)), t,
                    cs, 60_000, p);
            before.saveNode(p);
            if (changed) {
                before.saveCluster("c", cs);
                clusterWrites++;
            }
        }
        assertThat(clusterWrites).as("the first primary sample only").isEqualTo(1);

        final TaskState after = new TaskState(nodes, clusters);
        after.load(10_000, new HistoryStore(history).loadAll());
        final ClusterState cs = after.cluster("c");
        assertThat(cs.primary).isEqualTo("p");
        assertThat(cs.primarySampleAt).isEqualTo(5_000L);
        assertThat(cs.replicas).extracting(ClusterState.Replica::replayLsn).containsExactly(490L);
        assertThat(cs.outOfRecovery).containsEntry("p", 5_000L);
        assertThat(cs.history.lsns).containsExactly(100L, 200L, 300L, 400L, 500L);
        assertThat(cs.history.latestLsn()).isEqualTo(500L);
    }
}
