package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.Samples;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.ClusterState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The primary-tracking stage: who is primary, failover versus split brain, and the persisted LSN history. */
class PrimaryTrackerTest {

    /** How recently the primary must have been seen for another identity to be a conflict (the stale limit). */
    private static final long FRESH = 15_000;

    private KeyValueStore<String, Long> store;
    private PrimaryTracker tracker;
    private final ClusterState cs = new ClusterState();

    @BeforeEach
    void setUp() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("h"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        tracker = new PrimaryTracker(TopologySettings.defaults(), new HistoryStore(store));
    }

    private List<Long> storedTimes() {
        final List<Long> times = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            while (it.hasNext()) {
                final KeyValue<String, Long> kv = it.next();
                times.add(Long.parseLong(kv.key.substring(kv.key.indexOf('\u0000') + 1), 16));
            }
        }
        return times;
    }

    private final java.util.Map<String, io.replwatch.processor.state.NodeState> nodes = new java.util.HashMap<>();

    private io.replwatch.processor.state.NodeState node(final String name) {
        return nodes.computeIfAbsent(name, n -> new io.replwatch.processor.state.NodeState());
    }

    /**
     * The store holds exactly the history's points however the history changed: points dropped by age, the older
     * half thinned when it grows past its bound, the newest point moved within the same millisecond, and a reset (the
     * position went back: a rewind).
     */
    @Test
    void theStoreFollowsTheHistoryThroughAgeingThinningAndAReset() {
        final long retention = TopologySettings.defaults().historyRetention().toMillis();
        final int samples = (int) Math.max(2 * PrimaryTracker.MAX_HISTORY_POINTS, 2 * retention / 1_000) + 50;
        long lsn = 1_000;
        for (int i = 1; i <= samples; i++) {
            lsn = i == samples / 2 ? 500 : lsn + 100;
            final long t = i * 1_000L;
            tracker.onSample(Samples.primary("p", t, lsn, 1, Map.of()), t, cs, FRESH, node("p"));
            if (i % 7 == 0) {
                tracker.onSample(Samples.primary("p", t, lsn + 10, 1, Map.of()), t, cs, FRESH, node("p"));
            }
            if (i % 97 == 0 || i == samples / 2 || i == samples / 2 + 1 || i == samples) {
                assertThat(storedTimes()).as("after sample %d", i).isEqualTo(cs.history.times);
            }
        }
        assertThat(cs.history.times.size()).as("the history was bounded").isLessThan(samples / 2);
        assertThat(cs.history.times.get(0)).as("and aged").isGreaterThan(samples / 2 * 1_000L);
    }

    @Test
    void thePrimarysSamplesBuildItsHistoryAndTheStoreFollows() {
        assertThat(tracker.onSample(Samples.primary("p", 1_000, 100, 1, Map.of("s1", 90L)), 1_000, cs, FRESH, node("p"))).isTrue();
        assertThat(tracker.onSample(Samples.primary("p", 2_000, 200, 1, Map.of("s1", 190L)), 2_000, cs, FRESH, node("p")))
                .as("only the per-sample fields changed: kept in the primary's node state, the cluster record not written")
                .isFalse();
        assertThat(node("p").primaryView.sampleAt).isEqualTo(2_000L);
        assertThat(node("p").primaryView.replicas).extracting(ClusterState.Replica::replayLsn).containsExactly(190L);
        assertThat(cs.primary).isEqualTo("p");
        assertThat(cs.history.times).containsExactly(1_000L, 2_000L);
        assertThat(cs.history.lsns).containsExactly(100L, 200L);
        assertThat(storedTimes()).containsExactly(1_000L, 2_000L);
        assertThat(cs.replicas).extracting(ClusterState.Replica::replayLsn).containsExactly(190L);
        assertThat(cs.slotActivePids).containsKey("s1");
        assertThat(PrimaryTracker.isPrimarySample(Samples.primary("p", 3_000, 300, 1, Map.of()), cs)).isTrue();
    }

    @Test
    void aStandbySampleLeavesTheHistoryAndClearsTheNodeFromThePrimaries() {
        tracker.onSample(Samples.primary("p", 1_000, 100, 1, Map.of()), 1_000, cs, FRESH, node("p"));
        tracker.onSample(Samples.primary("s1", 1_500, 100, 1, Map.of()), 1_500, cs, FRESH, node("s1"));
        assertThat(cs.outOfRecovery).containsOnlyKeys("p", "s1");
        // s1 back in recovery: no longer a primary; the cluster changed.
        assertThat(tracker.onSample(Samples.streaming("s1", 2_000, 100), 2_000, cs, FRESH, node("s1"))).isTrue();
        assertThat(cs.outOfRecovery).containsOnlyKeys("p");
        // A failed poll of a node that was not out of recovery changes nothing.
        assertThat(tracker.onSample(Samples.failed("s2", 2_000, PollStatus.UNREACHABLE), 2_000, cs, FRESH, node("s2"))).isFalse();
    }

    @Test
    void anotherNodeOnANewerTimelineIsAFailoverAndStartsANewHistory() {
        tracker.onSample(Samples.primary("p", 1_000, 100, 1, Map.of()), 1_000, cs, FRESH, node("p"));
        tracker.onSample(Samples.primary("p", 2_000, 200, 1, Map.of()), 2_000, cs, FRESH, node("p"));
        tracker.onSample(Samples.primary("s1", 3_000, 250, 2, Map.of()), 3_000, cs, FRESH, node("s1"));
        assertThat(cs.primary).isEqualTo("s1");
        assertThat(cs.failoverFrom).isEqualTo("p");
        assertThat(cs.failoverTo).isEqualTo("s1");
        assertThat(cs.failoverAt).isEqualTo(3_000L);
        assertThat(cs.history.times).containsExactly(3_000L);
        assertThat(storedTimes()).as("the old primary's points are deleted").containsExactly(3_000L);
    }

    @Test
    void aSecondPrimaryOnAnOlderTimelineIsNotAFailover() {
        tracker.onSample(Samples.primary("s1", 1_000, 100, 2, Map.of()), 1_000, cs, FRESH, node("s1"));
        tracker.onSample(Samples.primary("p", 1_500, 90, 1, Map.of()), 1_500, cs, FRESH, node("p"));
        assertThat(cs.primary).isEqualTo("s1");
        assertThat(cs.failoverAt).isNull();
        assertThat(cs.outOfRecovery).containsOnlyKeys("s1", "p");
        assertThat(PrimaryTracker.isPrimarySample(Samples.primary("p", 1_500, 90, 1, Map.of()), cs)).isFalse();
    }

    @Test
    void aTimelineBumpOnThePrimaryItselfIsAFailoverToItself() {
        tracker.onSample(Samples.primary("p", 1_000, 100, 1, Map.of()), 1_000, cs, FRESH, node("p"));
        tracker.onSample(Samples.primary("p", 2_000, 200, 2, Map.of()), 2_000, cs, FRESH, node("p"));
        assertThat(cs.failoverFrom).isEqualTo("p");
        assertThat(cs.failoverTo).isEqualTo("p");
        assertThat(cs.timeline).isEqualTo(2);
        assertThat(cs.history.times).as("a new timeline starts the history afresh").containsExactly(2_000L);
        assertThat(storedTimes()).containsExactly(2_000L);
    }

    /** Issue 17: two collectors watching different clusters under one name gave a false FAILOVER and SPLIT_BRAIN. */
    @Test
    void anotherDatabaseSystemUnderTheSameNameIsAConflictNotAFailover() {
        tracker.onSample(Samples.primary("p", 1_000, 100, 1, Map.of()), 1_000, cs, FRESH, node("p"));
        final ReplicationSample other = ReplicationSample.newBuilder(Samples.primary("q", 2_000, 999, 3, Map.of()))
                .setSystemIdentifier(42L).build();
        tracker.onSample(other, 2_000, cs, FRESH, node("q"));
        assertThat(cs.primary).isEqualTo("p");
        assertThat(cs.failoverAt).isNull();
        assertThat(cs.outOfRecovery).containsOnlyKeys("p");
        assertThat(PrimaryTracker.identityConflict(other, 2_000, cs, FRESH)).contains("42").contains("primary p");
        assertThat(PrimaryTracker.identityConflict(Samples.primary("p", 2_000, 200, 1, Map.of()), 2_000, cs, FRESH)).isNull();
        // The cluster's primary silent beyond the stale limit: a rebuilt cluster with a new identity is taken as it.
        final ReplicationSample rebuilt = ReplicationSample.newBuilder(Samples.primary("q", 60_000, 5, 1, Map.of()))
                .setSystemIdentifier(42L).build();
        assertThat(PrimaryTracker.identityConflict(rebuilt, 60_000, cs, FRESH)).isNull();
        tracker.onSample(rebuilt, 60_000, cs, FRESH, node("q"));
        assertThat(cs.primary).isEqualTo("q");
        assertThat(cs.systemIdentifier).isEqualTo(42L);
    }
}
