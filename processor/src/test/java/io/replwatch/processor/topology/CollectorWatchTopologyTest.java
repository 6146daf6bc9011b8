package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.CollectorHeartbeat;
import io.replwatch.avro.CollectorState;
import io.replwatch.avro.CollectorStatus;
import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.Samples;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerde;
import io.replwatch.serde.MockSchemaRegistry;
import io.replwatch.serde.SerdeConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The collectors' liveness through the real topology: heartbeats in, collector status and COLLECTOR_DOWN out, and
 * the sample processor's staleness reading the status through its global store. Collector "test" (the samples'
 * collector id) polls cluster "c"; collector "b" polls cluster "d".
 */
class CollectorWatchTopologyTest {

    private static final String SCOPE = "collector-watch-test";
    private static final Map<String, Object> SERDE = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
    private static final long T0 = 1_764_000_000_000L;

    private TopologyTestDriver driver;
    private TestInputTopic<String, ReplicationSample> samples;
    private TestInputTopic<String, CollectorHeartbeat> heartbeats;
    private TestOutputTopic<String, HealthTransition> transitions;
    private TestOutputTopic<String, CollectorStatus> statuses;
    private long now = T0;

    @BeforeEach
    void setUp() {
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "collector-watch-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(ProcessorTopology.build(TopologySettings.defaults(), SERDE), p,
                Instant.ofEpochMilli(T0));
        samples = driver.createInputTopic(Topics.SAMPLES, Serdes.String().serializer(),
                AvroSerde.forValues(ReplicationSample.class, SERDE).serializer());
        heartbeats = driver.createInputTopic(Topics.COLLECTORS, Serdes.String().serializer(),
                AvroSerde.forValues(CollectorHeartbeat.class, SERDE).serializer());
        transitions = driver.createOutputTopic(Topics.HEALTH_TRANSITIONS, Serdes.String().deserializer(),
                AvroSerde.forValues(HealthTransition.class, SERDE).deserializer());
        statuses = driver.createOutputTopic(Topics.COLLECTOR_STATUS, Serdes.String().deserializer(),
                AvroSerde.forValues(CollectorStatus.class, SERDE).deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
        MockSchemaRegistry.drop(SCOPE);
    }

    private void heartbeat(final String id, final CollectorState state, final String... clusters) {
        heartbeats.pipeInput(id, CollectorHeartbeat.newBuilder().setCollectorId(id).setSentAt(Instant.ofEpochMilli(now))
                .setIntervalMs(5000).setState(state).setClusters(List.of(clusters)).setNodes(clusters.length).build(), now);
    }

    /** One 5 s round: the given collectors' heartbeats, and a sample of c's primary while "test" polls it. */
    private void round(final boolean cPolled, final String... live) {
        for (final String id : live) {
            heartbeat(id, CollectorState.RUNNING, id.equals("test") ? "c" : "d");
        }
        if (cPolled) {
            samples.pipeInput("c", Samples.primary("p", now, 1_000_000, 1, Map.of()), now);
        }
        now += 5000;
        driver.advanceWallClockTime(Duration.ofSeconds(5));
    }

    private List<HealthTransition> of(final String cluster) {
        return transitions.readValuesToList().stream().filter(t -> t.getCluster().equals(cluster)).toList();
    }

    @Test
    void aCollectorThatStopsWithNobodyTakingOverRaisesOneCollectorDownAndNoSamplesStale() {
        for (int i = 0; i < 4; i++) {
            round(true, "test", "b");
        }
        transitions.readValuesToList();
        for (int i = 0; i < 24; i++) { // two minutes: "test" is gone, "b" goes on
            round(false, "b");
        }
        final List<HealthTransition> all = transitions.readValuesToList();
        assertThat(all).as("no SAMPLES_STALE for c's node: COLLECTOR_DOWN speaks for it")
                .noneMatch(t -> t.getCluster().equals("c"));
        assertThat(all).hasSize(1);
        final HealthTransition down = all.get(0);
        assertThat(down.getCluster()).isEqualTo(CollectorWatch.CLUSTER);
        assertThat(down.getNode()).isEqualTo("test");
        assertThat(down.getToState()).isEqualTo(HealthState.CRITICAL);
        assertThat(down.getReasons()).extracting(HealthReason::getRule).containsExactly("COLLECTOR_DOWN");
        assertThat(down.getReasons().get(0).getMessage()).contains("its cluster c").doesNotContain(" d");
        assertThat(down.getAt().toEpochMilli() - (T0 + 15_000)).as("raised about the takeover time (30 s) after the "
                + "last heartbeat").isBetween(30_000L, 36_000L);

        // Another collector takes c over: COLLECTOR_DOWN resolves and "test" is forgotten.
        heartbeat("b", CollectorState.RUNNING, "c", "d");
        samples.pipeInput("c", Samples.primary("p", now, 1_000_000, 1, Map.of()), now);
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        final List<HealthTransition> after = transitions.readValuesToList();
        assertThat(after).filteredOn(t -> t.getCluster().equals(CollectorWatch.CLUSTER))
                .singleElement().satisfies(t -> {
                    assertThat(t.getToState()).isEqualTo(HealthState.HEALTHY);
                    assertThat(t.getCleared()).containsExactly("COLLECTOR_DOWN");
                });
        assertThat(statuses.readKeyValuesToList()).last().satisfies(kv -> {
            assertThat(kv.key).isEqualTo("test");
            assertThat(kv.value).as("forgotten: a tombstone").isNull();
        });
    }

    @Test
    void aCollectorWhoseClustersAreTakenOverWithinTheTakeoverTimeRaisesNothing() {
        for (int i = 0; i < 4; i++) {
            round(true, "test", "b");
        }
        transitions.readValuesToList();
        heartbeat("test", CollectorState.LEFT, "c");
        // "b" takes c over 10 s later and samples it.
        for (int i = 0; i < 2; i++) {
            round(false, "b");
        }
        for (int i = 0; i < 20; i++) {
            heartbeat("b", CollectorState.RUNNING, "c", "d");
            samples.pipeInput("c", ReplicationSample.newBuilder(Samples.primary("p", now, 1_000_000, 1, Map.of()))
                    .setCollectorId("b").setSequence(i + 1).build(), now);
            now += 5000;
            driver.advanceWallClockTime(Duration.ofSeconds(5));
        }
        assertThat(transitions.readValuesToList()).as("no COLLECTOR_DOWN, no SAMPLES_STALE").isEmpty();
    }

    @Test
    void aSilentNodeWhoseCollectorIsAliveGoesStaleAfterTheTakeoverTime() {
        for (int i = 0; i < 4; i++) {
            round(true, "test");
        }
        transitions.readValuesToList();
        for (int i = 0; i < 12; i++) {
            round(false, "test");
        }
        final List<HealthTransition> c = of("c");
        assertThat(c).hasSize(1);
        assertThat(c.get(0).getReasons()).extracting(HealthReason::getRule).contains("SAMPLES_STALE");
        assertThat(c.get(0).getAt().toEpochMilli() - (T0 + 15_000)).as("after the takeover time, not the 15 s stale limit")
                .isBetween(30_000L, 36_000L);
    }
}
