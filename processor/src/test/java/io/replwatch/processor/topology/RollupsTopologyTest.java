package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.processor.config.TopologySettings;
import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.RollupPeriod;
import io.replwatch.processor.Samples;
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
 * Capacity rollups through the real topology: a primary writing 1 MiB every 5 s, a standby 2 MiB behind, a
 * second standby that fails one poll in ten; one hour from T0 (aligned to the hour), then past its end.
 */
class RollupsTopologyTest {

    private static final String SCOPE = "rollups-test";
    private static final Map<String, Object> SERDE = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
    private static final long T0 = 1_764_000_000_000L; // 2025-11-24T16:00:00Z
    private static final long MB = 1024 * 1024;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> samples;
    private TestOutputTopic<String, CapacityRollup> rollups;
    private AvroSerde<ReplicationSample> serde;

    @BeforeEach
    void setUp() {
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "rollups-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(ProcessorTopology.build(
                // Event time runs days ahead of the driver's wall clock here: no clock-skew judgement.
                TopologySettings.defaults().withClockSkewWindow(Duration.ofDays(3650)), SERDE), p,
                Instant.ofEpochMilli(T0));
        serde = AvroSerde.forValues(ReplicationSample.class, SERDE);
        samples = driver.createInputTopic(Topics.SAMPLES, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        rollups = driver.createOutputTopic(Topics.ROLLUPS, Serdes.String().deserializer(),
                AvroSerde.forValues(CapacityRollup.class, SERDE).deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
        MockSchemaRegistry.drop(SCOPE);
    }

    private void send(final ReplicationSample s) {
        samples.pipeInput(s.getCluster(), serde.serializer().serialize(Topics.SAMPLES, s), s.getSampledAt().toEpochMilli());
    }

    private void rounds(final long from, final long to) {
        for (long t = from; t < to; t += 5000) {
            final long i = (t - T0) / 5000;
            final long lsn = 100 * MB + i * MB;
            send(Samples.primary("p", t, lsn, 1, Map.of("s1", lsn - 2 * MB, "s2", lsn)));
            send(Samples.streaming("s1", t + 1, lsn - 2 * MB));
            send(i % 10 == 9 ? Samples.failed("s2", t + 2, PollStatus.UNREACHABLE) : Samples.streaming("s2", t + 2, lsn));
        }
    }

    private static CapacityRollup of(final List<CapacityRollup> all, final String node) {
        return all.stream().filter(r -> java.util.Objects.equals(r.getNode(), node)).findFirst().orElseThrow();
    }

    @Test
    void hourlyRollupsPerNodeAndPerCluster() {
        rounds(T0, T0 + 3_600_000);
        assertThat(rollups.readValuesToList()).as("nothing before the hour ends").isEmpty();
        // Row 1: the first samples of the next hour, within the grace (10 s), do not close the hour yet.
        rounds(T0 + 3_600_000, T0 + 3_610_000);
        assertThat(rollups.readValuesToList()).isEmpty();
        // Row 2: past end + grace every node closes its hour.
        rounds(T0 + 3_610_000, T0 + 3_615_000);
        final List<CapacityRollup> nodes = rollups.readValuesToList();
        assertThat(nodes).extracting(CapacityRollup::getNode).containsExactlyInAnyOrder("p", "s1", "s2");
        final CapacityRollup p = of(nodes, "p");
        assertThat(p.getPeriod()).isEqualTo(RollupPeriod.HOUR);
        assertThat(p.getPeriodStart()).isEqualTo(Instant.ofEpochMilli(T0));
        assertThat(p.getPeriodEnd()).isEqualTo(Instant.ofEpochMilli(T0 + 3_600_000));
        // 720 samples in the hour; 719 gaps between them inside it (the 720th gap falls in the next hour).
        assertThat(p.getSamples()).isEqualTo(720);
        assertThat(p.getWalBytes()).isEqualTo(719 * MB);
        assertThat(p.getWalRatePeak()).isEqualTo(MB / 5.0);
        assertThat(p.getWalRateP95()).isEqualTo(MB / 5.0); // capped by the exact peak: the rate never varied
        assertThat(p.getAvailability()).isEqualTo(1.0);
        final CapacityRollup s1 = of(nodes, "s1");
        assertThat(s1.getLagBytesMax()).isEqualTo(2 * MB);
        assertThat(s1.getLagBytesP50()).isEqualTo(2 * MB);
        assertThat(s1.getWalBytes()).isZero();
        final CapacityRollup s2 = of(nodes, "s2");
        // Row 3: one poll in ten failed: 648 of 720 OK.
        assertThat(s2.getSamples()).isEqualTo(720);
        assertThat(s2.getOkSamples()).isEqualTo(648);
        assertThat(s2.getAvailability()).isEqualTo(0.9);
        assertThat(s2.getLagBytesMax()).isZero();

        // Row 4: the cluster's figures wait a minute more for its nodes, then add them up.
        rounds(T0 + 3_615_000, T0 + 3_665_000);
        assertThat(rollups.readValuesToList()).isEmpty();
        rounds(T0 + 3_665_000, T0 + 3_680_000);
        final CapacityRollup cluster = rollups.readValuesToList().stream().filter(r -> r.getNode() == null)
                .findFirst().orElseThrow();
        assertThat(cluster.getCluster()).isEqualTo(p.getCluster());
        assertThat(cluster.getWalBytes()).isEqualTo(719 * MB);
        assertThat(cluster.getSamples()).isEqualTo(3 * 720);
        assertThat(cluster.getOkSamples()).isEqualTo(720 + 720 + 648);
        assertThat(cluster.getLagBytesMax()).isEqualTo(2 * MB);
        // Half the standby samples lag 0 (s2), half 2 MiB (s1): the median is the lower, bucketed.
        assertThat(cluster.getLagBytesP95()).isEqualTo(2 * MB);
    }

    @Test
    void dailyRollupClosesAfterMidnightUtc() {
        final long midnight = Instant.ofEpochMilli(T0).atZone(java.time.ZoneOffset.UTC).toLocalDate().plusDays(1)
                .atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
        for (long t = midnight - 600_000; t < midnight + 20_000; t += 5000) {
            final long lsn = 100 * MB + (t - T0) / 5000 * MB;
            send(Samples.primary("p", t, lsn, 1, Map.of()));
        }
        final List<CapacityRollup> out = rollups.readValuesToList();
        assertThat(out).filteredOn(r -> r.getPeriod() == RollupPeriod.DAY).singleElement().satisfies(d -> {
            assertThat(d.getPeriodEnd()).isEqualTo(Instant.ofEpochMilli(midnight));
            assertThat(d.getSamples()).isEqualTo(120);
            assertThat(d.getWalBytes()).isEqualTo(119 * MB);
        });
        assertThat(Duration.ofMillis(midnight - T0)).isPositive();
    }

    /**
     * A node's day is its hours added up as each closes (a sample is folded into its hour only): over the last three
     * hours of a day, with the standby 1 MiB behind in the first, 4 MiB in the second and caught up in the third,
     * and a logical slot's consumer stuck only in the second, the DAY rows carry every sample once, the sums and
     * maxima of the hours, percentiles over all three hours' samples, and the slot's worst hour.
     */
    @Test
    void aDayIsItsHoursAddedUp() {
        final long midnight = Instant.ofEpochMilli(T0).atZone(java.time.ZoneOffset.UTC).toLocalDate().plusDays(1)
                .atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
        final long from = midnight - 3 * 3_600_000;
        for (long t = from; t < midnight + 20_000; t += 5000) {
            final long i = (t - from) / 5000;
            final long lsn = 100 * MB + i * MB;
            final int hour = (int) ((t - from) / 3_600_000);
            final long behind = t >= midnight ? 0 : hour == 0 ? MB : hour == 1 ? 4 * MB : 0;
            final long confirmed = hour == 1 ? lsn - 8 * MB : lsn;
            final ReplicationSample base = Samples.primary("p", t, lsn, 1, Map.of("s1", lsn - behind));
            send(ReplicationSample.newBuilder(base)
                    .setSlots(List.of(io.replwatch.avro.SlotRow.newBuilder().setSlotName("cdc").setSlotType("logical")
                            .setPlugin("pgoutput").setActive(true).setRestartLsn(confirmed)
                            .setConfirmedFlushLsn(confirmed).build())).build());
            send(Samples.streaming("s1", t + 1, lsn - behind));
        }
        final List<CapacityRollup> out = rollups.readValuesToList().stream().filter(r -> r.getNode() != null).toList();
        for (final String node : List.of("p", "s1")) {
            final List<CapacityRollup> hours = out.stream()
                    .filter(r -> r.getNode().equals(node) && r.getPeriod() == RollupPeriod.HOUR).toList();
            assertThat(hours).hasSize(3);
            final CapacityRollup day = out.stream()
                    .filter(r -> r.getNode().equals(node) && r.getPeriod() == RollupPeriod.DAY).findFirst().orElseThrow();
            assertThat(day.getPeriodEnd()).isEqualTo(Instant.ofEpochMilli(midnight));
            assertThat(day.getSamples()).isEqualTo(3 * 720).isEqualTo(hours.stream().mapToLong(CapacityRollup::getSamples).sum());
            assertThat(day.getOkSamples()).isEqualTo(3 * 720);
            assertThat(day.getWalBytes()).isEqualTo(hours.stream().mapToLong(CapacityRollup::getWalBytes).sum());
        }
        final CapacityRollup s1 = out.stream().filter(r -> r.getNode().equals("s1") && r.getPeriod() == RollupPeriod.DAY)
                .findFirst().orElseThrow();
        assertThat(s1.getLagBytesMax()).isEqualTo(4 * MB);
        // 720 samples each at 0, 1 MiB and 4 MiB: the median is the 1 MiB bucket's upper bound (2^20.25), the p95 the
        // 4 MiB bucket's, capped at the exact maximum.
        assertThat(s1.getLagBytesP50()).isEqualTo(Math.round(Math.pow(2, 20.25)));
        assertThat(s1.getLagBytesP95()).isEqualTo(4 * MB);
        final CapacityRollup p = out.stream().filter(r -> r.getNode().equals("p") && r.getPeriod() == RollupPeriod.DAY)
                .findFirst().orElseThrow();
        assertThat(p.getWalBytes()).isEqualTo((3 * 720 - 1) * MB);
        assertThat(p.getLogicalSlots()).singleElement().satisfies(l -> {
            assertThat(l.getSlot()).isEqualTo("cdc");
            assertThat(l.getPlugin()).isEqualTo("pgoutput");
            assertThat(l.getRetainedBytesMax()).isEqualTo(8 * MB);
        });
    }

    /**
     * Issue 16: a primary's hourly rollup keeps each logical slot: the most WAL it retained, how far its consumer
     * was behind at most (bytes and true time), and the WAL sender streaming it; the cluster's row keeps none.
     */
    @Test
    void aPrimarysRollupKeepsItsLogicalSlots() {
        for (long t = T0; t < T0 + 3_615_000; t += 5000) {
            final long i = (t - T0) / 5000;
            final long lsn = 100 * MB + i * MB;
            // cdc stops confirming at 10 minutes in, at what the primary had written then (220 MB), until 20 minutes.
            final long confirmed = i < 120 ? lsn : i < 240 ? 220 * MB : lsn;
            final ReplicationSample base = Samples.primary("p", t, lsn, 1, Map.of());
            send(ReplicationSample.newBuilder(base).setReplicas(List.of(io.replwatch.avro.ReplicaRow.newBuilder()
                    .setPid(77).setApplicationName("debezium").build()))
                    .setSlots(List.of(io.replwatch.avro.SlotRow.newBuilder().setSlotName("cdc").setSlotType("logical")
                            .setPlugin("pgoutput").setActive(true).setActivePid(77).setRestartLsn(confirmed - 4 * MB)
                            .setConfirmedFlushLsn(confirmed).build())).build());
        }
        final CapacityRollup p = of(rollups.readValuesToList(), "p");
        assertThat(p.getLogicalSlots()).singleElement().satisfies(l -> {
            assertThat(l.getSlot()).isEqualTo("cdc");
            assertThat(l.getPlugin()).isEqualTo("pgoutput");
            assertThat(l.getConsumer()).isEqualTo("debezium");
            // Stuck at 220 MB from sample 120 to 239: at sample 239 the primary is at 339 MB.
            assertThat(l.getLagBytesMax()).isEqualTo(119 * MB);
            assertThat(l.getRetainedBytesMax()).isEqualTo(123 * MB);
            // The primary moved past 220 MB at sample 120 (10 minutes in); the last stuck sample is 119 polls later.
            assertThat(l.getLagMsMax()).isEqualTo(119 * 5000L);
        });
    }
}
