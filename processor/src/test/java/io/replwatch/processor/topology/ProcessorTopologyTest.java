package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.processor.config.TopologySettings;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.Samples;
import io.replwatch.processor.health.Rules;
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
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real topology (ProcessorTopology.build) driven with explicit sample times; wall-clock punctuation driven
 * with advanceWallClockTime. Cluster "c": primary "p", sync standby "s1", async standby "s2", polled every 5 s.
 */
class ProcessorTopologyTest {

    private static final String SCOPE = "topology-test";
    private static final Map<String, Object> SERDE = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);
    private static final long T0 = 1_764_000_000_000L;
    private static final long MB = 1024 * 1024;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> samples;
    private TestInputTopic<String, String> raw;
    private TestOutputTopic<String, HealthTransition> transitions;
    private TestOutputTopic<String, LagRate> lagRates;
    private TestOutputTopic<String, WalThroughput> wal;
    private TestOutputTopic<String, NodeHealth> nodeHealth;
    private TestOutputTopic<String, DeadLetter> deadLetters;
    private AvroSerde<ReplicationSample> sampleSerde;

    @BeforeEach
    void setUp() {
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        // The rows move event time by minutes between wall-clock steps: a skew window of an hour leaves them alone
        // (row 8d moves a collector's clock two hours ahead).
        driver = new TopologyTestDriver(ProcessorTopology.build(
                TopologySettings.defaults().withClockSkewWindow(Duration.ofHours(1)), SERDE), p, Instant.ofEpochMilli(T0));
        sampleSerde = AvroSerde.forValues(ReplicationSample.class, SERDE);
        samples = driver.createInputTopic(Topics.SAMPLES, Serdes.String().serializer(), Serdes.ByteArray().serializer());
        raw = driver.createInputTopic(Topics.SAMPLES, Serdes.String().serializer(), Serdes.String().serializer());
        transitions = out(Topics.HEALTH_TRANSITIONS, HealthTransition.class);
        lagRates = out(Topics.LAG_RATES, LagRate.class);
        wal = out(Topics.WAL_THROUGHPUT, WalThroughput.class);
        nodeHealth = out(Topics.NODE_HEALTH, NodeHealth.class);
        deadLetters = out(Topics.DEAD_LETTER, DeadLetter.class);
    }

    private <T extends org.apache.avro.specific.SpecificRecord> TestOutputTopic<String, T> out(final String topic,
                                                                                              final Class<T> type) {
        return driver.createOutputTopic(topic, Serdes.String().deserializer(),
                AvroSerde.forValues(type, SERDE).deserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
        MockSchemaRegistry.drop(SCOPE);
    }

    private void send(final ReplicationSample s) {
        samples.pipeInput(s.getCluster(), sampleSerde.serializer().serialize(Topics.SAMPLES, s),
                s.getSampledAt().toEpochMilli());
    }

    /** One poll round at {@code t}: the primary at {@code lsn}, standbys at their replay positions. */
    private void round(final long t, final long lsn, final long s1Replay, final long s2Replay) {
        send(Samples.primary("p", t, lsn, 1, Map.of("s1", s1Replay, "s2", s2Replay)));
        send(Samples.streaming("s1", t + 1, s1Replay));
        send(Samples.streaming("s2", t + 2, s2Replay));
        driver.advanceWallClockTime(Duration.ofSeconds(5));
    }

    private List<HealthTransition> transitionsOf(final String node) {
        return transitions.readValuesToList().stream().filter(tr -> tr.getNode().equals(node)).toList();
    }

    @Test
    void row1_firstSamplesTakeEveryNodeFromUnknownToHealthyOnce() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        round(T0 + 5000, 100 * MB, 100 * MB, 100 * MB);
        final List<HealthTransition> all = transitions.readValuesToList();
        assertThat(all).extracting(HealthTransition::getNode).containsExactlyInAnyOrder("p", "s1", "s2");
        assertThat(all).allSatisfy(tr -> {
            assertThat(tr.getFromState()).isEqualTo(HealthState.UNKNOWN);
            assertThat(tr.getToState()).isEqualTo(HealthState.HEALTHY);
        });
    }

    /**
     * replwatch.lag-rates carries one record per standby per 10 s window (the default lag_rate_window), published by
     * the first sample past the window's end, with the lag at the window's end, its extremes and the rates over it;
     * transitions still follow every sample.
     */
    @Test
    void lagRatesGoOutOncePerWindowWithItsExtremesAndRates() {
        final long start = T0 - Math.floorMod(T0, 10_000L) + 10_000L;
        // 35 polls a second apart: the primary writes 1 MB/s, s1 replays half of it, so it falls behind 0.5 MB/s.
        for (int i = 0; i < 35; i++) {
            final long t = start + i * 1000L;
            final long replay = 100 * MB + i * MB / 2;
            send(Samples.primary("p", t, 100 * MB + i * MB, 1, Map.of("s1", replay)));
            send(Samples.streaming("s1", t + 1, replay));
            driver.advanceWallClockTime(Duration.ofSeconds(1));
        }
        final List<LagRate> s1 = lagRates.readValuesToList().stream().filter(r -> r.getNode().equals("s1")).toList();
        assertThat(s1).as("three windows closed by later samples, the fourth still open").hasSize(3);
        assertThat(s1).extracting(r -> r.getWindowStart().toEpochMilli())
                .containsExactly(start, start + 10_000L, start + 20_000L);
        final LagRate w = s1.get(1);
        assertThat(w.getWindowMs()).isEqualTo(10_000L);
        assertThat(w.getSamples()).isEqualTo(10);
        assertThat(w.getAt().toEpochMilli()).as("the window's last sample").isEqualTo(start + 19_001L);
        assertThat(w.getReplayLagBytes()).as("the lag at the window's end").isEqualTo(19 * MB / 2);
        assertThat(w.getMinReplayLagBytes()).isEqualTo(10 * MB / 2);
        assertThat(w.getMaxReplayLagBytes()).isEqualTo(19 * MB / 2);
        // Over the whole window: from the window before's last sample (i = 9) to this one's (i = 19).
        assertThat(w.getLagRateBytesPerSec()).isCloseTo(MB / 2.0, org.assertj.core.data.Offset.offset(1.0));
        assertThat(w.getReplayRateBytesPerSec()).isCloseTo(MB / 2.0, org.assertj.core.data.Offset.offset(1.0));
        assertThat(w.getWalRateBytesPerSec()).isCloseTo((double) MB, org.assertj.core.data.Offset.offset(1.0));
        assertThat(w.getTrend()).isEqualTo(LagTrend.FALLING_BEHIND);
        assertThat(w.getCatchUpEtaMs()).as("replay slower than WAL: no ETA").isNull();
        assertThat(s1.get(0).getSamples()).isEqualTo(10);
        assertThat(s1.get(0).getMinReplayLagBytes()).isZero();
    }

    @Test
    void row2_idlePrimaryForTenMinutesGivesNoLagGrowthAndNoTransition() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        for (long t = T0 + 5000; t <= T0 + 600_000; t += 5000) {
            round(t, 100 * MB, 100 * MB, 100 * MB);
        }
        // The classic now() - pg_last_xact_replay_timestamp() would read 600 s here.
        assertThat(transitions.isEmpty()).isTrue();
        final List<LagRate> rates = lagRates.readValuesToList();
        assertThat(rates).isNotEmpty().allSatisfy(r -> {
            assertThat(r.getTimeLagMs()).isZero();
            assertThat(r.getReplayLagBytes()).isZero();
            assertThat(r.getTrend()).isIn(LagTrend.OK, LagTrend.UNKNOWN);
        });
    }

    @Test
    void row3_linkCutWhilePrimaryWritesGrowsTimeLagAndFiresReceiverDisconnected() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        lagRates.readValuesToList();
        // s2's link is cut at T0 + 5 s: its receiver stops, receive == replay stays at 100 MB, the primary writes 1 MB/s.
        for (int i = 1; i <= 24; i++) {
            final long t = T0 + i * 5000L;
            final long lsn = 100 * MB + i * 5 * MB;
            send(Samples.primary("p", t, lsn, 1, Map.of("s1", lsn)));
            send(Samples.streaming("s1", t + 1, lsn));
            send(Samples.standby("s2", t + 2, 100 * MB, 100 * MB, null, false, 0));
            driver.advanceWallClockTime(Duration.ofSeconds(5));
        }
        final List<LagRate> s2 = lagRates.readValuesToList().stream().filter(r -> r.getNode().equals("s2")).toList();
        // Time lag grows with the clock: ~ (i * 5 s) - 0 at the i-th round.
        assertThat(s2.get(s2.size() - 1).getTimeLagMs()).isBetween(110_000L, 125_000L);
        assertThat(s2.get(s2.size() - 1).getTimeLagMs()).isGreaterThan(s2.get(5).getTimeLagMs());
        assertThat(s2.get(s2.size() - 1).getTrend()).isEqualTo(LagTrend.STALLED);
        final List<HealthTransition> tr = transitionsOf("s2");
        assertThat(tr).isNotEmpty();
        assertThat(tr.get(0).getToState()).isEqualTo(HealthState.CRITICAL);
        assertThat(tr.get(0).getReasons()).extracting(HealthReason::getRule).contains(Rules.RECEIVER_DISCONNECTED);
        // Later: time lag passes 60 s and, held 30 s, LAG_TIME joins.
        assertThat(tr).anySatisfy(t -> assertThat(t.getReasons()).extracting(HealthReason::getRule).contains(Rules.LAG_TIME));
        assertThat(transitionsOf("s1")).isEmpty();
    }

    @Test
    void row4b_aStallWithoutAPauseWarnsWithinSecondsAndIsCriticalAfterAMinuteStalled() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        // 1 s polls; the primary writes 1 MB/s; s2 receives it but replays nothing (a conflict holding replay back,
        // not a pause): nothing but the stall says so.
        for (int i = 1; i <= 80; i++) {
            final long t = T0 + i * 1000L;
            final long lsn = 100 * MB + i * MB;
            send(Samples.primary("p", t, lsn, 1, Map.of("s1", lsn, "s2", 100 * MB)));
            send(Samples.streaming("s1", t + 1, lsn));
            send(Samples.standby("s2", t + 2, lsn, 100 * MB, "streaming", false, 0));
            driver.advanceWallClockTime(Duration.ofSeconds(1));
        }
        final List<HealthTransition> tr = transitionsOf("s2");
        // Seen once replay has stood still behind the primary for 10 s (a sixth of the 60 s window; lag points
        // are 6 s apart, so about 15 s after the stall began), not a whole window later.
        final HealthTransition warn = tr.get(0);
        assertThat(warn.getToState()).isEqualTo(HealthState.WARNING);
        assertThat(warn.getReasons()).extracting(HealthReason::getRule).containsExactly(Rules.REPLAY_STALLED);
        assertThat(warn.getAt().toEpochMilli() - T0).isBetween(10_000L, 20_000L);
        // CRITICAL once stalled for 60 s, counted from the first point behind the primary (T0 + ~5 s).
        final HealthTransition crit = tr.stream().filter(x -> x.getToState() == HealthState.CRITICAL).findFirst().orElseThrow();
        assertThat(crit.getReasons()).extracting(HealthReason::getRule).contains(Rules.REPLAY_STALLED);
        assertThat(crit.getAt().toEpochMilli() - T0).isBetween(60_000L, 75_000L);
    }

    @Test
    void row4_pausedReplayIsStalledThenCriticalAndResumeGivesHealthyAfterClearFor() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        long t = T0;
        for (int i = 1; i <= 16; i++) {
            t = T0 + i * 5000L;
            final long lsn = 100 * MB + i * MB;
            send(Samples.primary("p", t, lsn, 1, Map.of("s1", lsn, "s2", 100 * MB)));
            send(Samples.streaming("s1", t + 1, lsn));
            send(Samples.standby("s2", t + 2, lsn, 100 * MB, "streaming", true, 0));
            driver.advanceWallClockTime(Duration.ofSeconds(5));
        }
        final List<HealthTransition> paused = transitionsOf("s2");
        // The pause shows at once; the stall once the whole lag window has lagged (Burrow: no zero lag in it).
        assertThat(paused.get(0).getToState()).isEqualTo(HealthState.WARNING);
        assertThat(paused.get(0).getReasons()).extracting(HealthReason::getRule).containsExactly(Rules.REPLAY_PAUSED);
        assertThat(paused).anySatisfy(tr -> assertThat(tr.getReasons()).extracting(HealthReason::getRule)
                .containsExactlyInAnyOrder(Rules.REPLAY_STALLED, Rules.REPLAY_PAUSED));
        assertThat(paused).anySatisfy(tr -> {
            assertThat(tr.getToState()).isEqualTo(HealthState.CRITICAL);
            assertThat(tr.getReasons()).filteredOn(r -> r.getRule().equals(Rules.REPLAY_STALLED))
                    .singleElement().satisfies(r -> assertThat(r.getSeverity()).isEqualTo(HealthState.CRITICAL));
        });
        // Resume: replay catches up at once; the rules clear after clear_for (15 s).
        for (int i = 1; i <= 6; i++) {
            final long tt = t + i * 5000L;
            final long lsn = 120 * MB;
            send(Samples.primary("p", tt, lsn, 1, Map.of("s1", lsn, "s2", lsn)));
            send(Samples.streaming("s1", tt + 1, lsn));
            send(Samples.streaming("s2", tt + 2, lsn));
            driver.advanceWallClockTime(Duration.ofSeconds(5));
        }
        final List<HealthTransition> resumed = transitionsOf("s2");
        assertThat(resumed.get(resumed.size() - 1).getToState()).isEqualTo(HealthState.HEALTHY);
        assertThat(resumed.get(resumed.size() - 1).getCleared()).isNotEmpty();
        final KeyValueStore<String, NodeHealth> store = driver.getKeyValueStore(Names.NODE_HEALTH_STORE);
        assertThat(store.get("c/s2").getState()).isEqualTo(HealthState.HEALTHY);
    }

    /**
     * What a sample writes to the node-state changelog is the node after the whole sample, its open lag window
     * included: a restore after a crash resumes the window with every sample in it (the window was once added after
     * the write, so the changelog was always one sample behind it).
     */
    @Test
    void theStoredNodeStateHoldsTheSamplesOwnPartOfItsLagWindow() {
        round(T0, 100 * MB, 100 * MB - 5 * MB, 100 * MB);
        round(T0 + 3_000, 101 * MB, 100 * MB - 3 * MB, 101 * MB);
        round(T0 + 6_000, 102 * MB, 100 * MB - 9 * MB, 102 * MB);
        final KeyValueStore<String, io.replwatch.processor.state.NodeState> store =
                driver.getKeyValueStore(Names.NODE_STATE_STORE);
        final io.replwatch.processor.state.NodeState.LagWindow w = store.get("c/s1").lagWindows.get("");
        assertThat(w.samples).isEqualTo(3);
        assertThat(w.last.time()).isEqualTo(T0 + 6_001);
        assertThat(w.maxLag).isEqualTo(11 * MB);
        assertThat(w.minLag).isEqualTo(4 * MB);
    }

    @Test
    void row5_stoppedStandbyIsDown() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        send(Samples.failed("s2", T0 + 5002, PollStatus.UNREACHABLE));
        final List<HealthTransition> tr = transitionsOf("s2");
        assertThat(tr).singleElement().satisfies(t -> {
            assertThat(t.getToState()).isEqualTo(HealthState.DOWN);
            assertThat(t.getReasons()).extracting(HealthReason::getRule).containsExactly(Rules.NODE_UNREACHABLE);
        });
    }

    @Test
    void row5b_aStandbyStoppedForAMinuteComesBackFromDownStraightToHealthy() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        long t = T0 + 5000;
        for (; t < T0 + 65_000; t += 5000) {
            // s2 is stopped: the primary lists only s1 (STANDBY_MISSING's 10 s would have passed long ago).
            send(Samples.primary("p", t, 100 * MB, 1, Map.of("s1", 100 * MB)));
            send(Samples.streaming("s1", t + 1, 100 * MB));
            send(Samples.failed("s2", t + 2, PollStatus.UNREACHABLE));
            driver.advanceWallClockTime(Duration.ofSeconds(5));
        }
        // Started again: its receiver starts up a poll before the primary lists it.
        send(Samples.primary("p", t, 100 * MB, 1, Map.of("s1", 100 * MB)));
        send(Samples.standby("s2", t + 2, 100 * MB, 100 * MB, "startup", false, 0));
        round(t + 5000, 100 * MB, 100 * MB, 100 * MB);
        final List<HealthTransition> tr = transitionsOf("s2");
        assertThat(tr).extracting(HealthTransition::getToState).containsExactly(HealthState.DOWN, HealthState.HEALTHY);
        assertThat(tr).flatExtracting(HealthTransition::getReasons).extracting(HealthReason::getRule)
                .containsOnly(Rules.NODE_UNREACHABLE);
    }

    /**
     * Rounds every 5 s from {@code from} until {@code until} with the primary stopped: the standbys' samples (receiver
     * gone) come before the primary's failed one (the worst order). Returns the next round's time.
     */
    private long primaryDown(final long from, final long until) {
        long t = from;
        for (; t < until; t += 5000) {
            send(Samples.standby("s1", t, 100 * MB, 100 * MB, null, false, 0));
            send(Samples.standby("s2", t + 1, 100 * MB, 100 * MB, null, false, 0));
            send(Samples.failed("p", t + 2, PollStatus.UNREACHABLE));
            driver.advanceWallClockTime(Duration.ofSeconds(5));
        }
        return t;
    }

    @Test
    void row5c_aRestartedPrimaryTakesItsStandbysFromUpstreamDownToHealthyWithIt() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        final long t = primaryDown(T0 + 5000, T0 + 30_000);
        // Back: it lists nobody yet; the standbys reconnect a poll later.
        send(Samples.standby("s1", t, 100 * MB, 100 * MB, null, false, 0));
        send(Samples.standby("s2", t + 1, 100 * MB, 100 * MB, null, false, 0));
        send(Samples.primary("p", t + 2, 100 * MB, 1, Map.of()));
        send(Samples.standby("s1", t + 3, 100 * MB, 100 * MB, "startup", false, 0));
        send(Samples.standby("s2", t + 4, 100 * MB, 100 * MB, "startup", false, 0));
        round(t + 5000, 100 * MB, 100 * MB, 100 * MB);
        final List<HealthTransition> all = transitions.readValuesToList();
        assertThat(all.stream().filter(x -> x.getNode().equals("p")).toList())
                .extracting(HealthTransition::getToState).containsExactly(HealthState.DOWN, HealthState.HEALTHY);
        for (final String standby : List.of("s1", "s2")) {
            final List<HealthTransition> tr = all.stream().filter(x -> x.getNode().equals(standby)).toList();
            assertThat(tr).as(standby).extracting(HealthTransition::getToState)
                    .containsExactly(HealthState.CRITICAL, HealthState.HEALTHY);
            assertThat(tr.get(0).getReasons()).extracting(HealthReason::getRule).containsExactly(Rules.UPSTREAM_DOWN);
            assertThat(tr.get(0).getReasons().get(0).getMessage()).contains("upstream p, which is DOWN");
        }
    }

    @Test
    void row5d_anUpstreamBackClearsItsStandbysUpstreamDownInTheSameStep() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        final long t = primaryDown(T0 + 5000, T0 + 20_000);
        assertThat(transitions.readValuesToList()).filteredOn(x -> x.getNode().equals("s2"))
                .last().satisfies(x -> assertThat(rules(x)).containsExactly(Rules.UPSTREAM_DOWN));
        // Back, its sync standby s1 already streaming to it: the primary is HEALTHY, and s2's UPSTREAM_DOWN clears in
        // that same step (before s2's next sample), so no page goes out for s2 once p's page resolves.
        send(Samples.primary("p", t, 100 * MB, 1, Map.of("s1", 100 * MB)));
        final List<HealthTransition> step = transitions.readValuesToList();
        assertThat(step).extracting(HealthTransition::getNode).containsExactlyInAnyOrder("p", "s1", "s2");
        assertThat(step.get(0).getNode()).isEqualTo("p");
        assertThat(step).allSatisfy(x -> assertThat(x.getToState()).isEqualTo(HealthState.HEALTHY));
        assertThat(step).filteredOn(x -> x.getNode().equals("s2")).singleElement()
                .satisfies(x -> assertThat(x.getCleared()).containsExactly(Rules.UPSTREAM_DOWN));
        // s2 reconnects within its grace: no RECEIVER_DISCONNECTED on the way.
        send(Samples.standby("s2", t + 1000, 100 * MB, 100 * MB, "startup", false, 0));
        send(Samples.streaming("s2", t + 5000, 100 * MB));
        assertThat(transitionsOf("s2")).isEmpty();
    }

    private static List<String> rules(final HealthTransition t) {
        return t.getReasons().stream().map(HealthReason::getRule).toList();
    }

    @Test
    void row6_failoverFiresOnTheNewPrimaryAndSplitBrainWhileTheOldOneStillRuns() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        // s2 promoted to timeline 2 while p keeps running: a failover, and two primaries.
        send(Samples.primary("s2", T0 + 5002, 100 * MB + 4096, 2, Map.of()));
        List<HealthTransition> tr = transitionsOf("s2");
        assertThat(tr).singleElement().satisfies(t -> assertThat(t.getReasons()).extracting(HealthReason::getRule)
                .containsExactlyInAnyOrder(Rules.FAILOVER, Rules.SPLIT_BRAIN));
        send(Samples.primary("p", T0 + 10_000, 101 * MB, 1, Map.of("s1", 101 * MB)));
        assertThat(transitionsOf("p")).singleElement().satisfies(t -> {
            assertThat(t.getToState()).isEqualTo(HealthState.CRITICAL);
            assertThat(t.getReasons()).extracting(HealthReason::getRule).contains(Rules.SPLIT_BRAIN);
        });
        // The old primary goes down: split brain clears (after clear_for 0), failover remains.
        send(Samples.failed("p", T0 + 15_000, PollStatus.UNREACHABLE));
        send(Samples.primary("s2", T0 + 20_002, 100 * MB + 8192, 2, Map.of()));
        tr = transitionsOf("s2");
        assertThat(tr.get(tr.size() - 1).getReasons()).extracting(HealthReason::getRule).containsExactly(Rules.FAILOVER);
        assertThat(tr.get(tr.size() - 1).getCleared()).containsExactly(Rules.SPLIT_BRAIN);
    }

    @Test
    void row7_samplesThatStopAreNoticedOnWallClockTime() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        round(T0 + 5000, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        // s2 goes silent; the others too (an idle partition: stream time stands still).
        driver.advanceWallClockTime(Duration.ofSeconds(10));
        assertThat(transitions.isEmpty()).as("not stale yet: 15 s minimum").isTrue();
        driver.advanceWallClockTime(Duration.ofSeconds(10));
        final List<HealthTransition> tr = transitions.readValuesToList();
        assertThat(tr).extracting(HealthTransition::getNode).containsExactlyInAnyOrder("p", "s1", "s2");
        assertThat(tr).allSatisfy(t -> {
            assertThat(t.getToState()).isEqualTo(HealthState.UNKNOWN);
            assertThat(t.getReasons()).extracting(HealthReason::getRule).containsExactly(Rules.SAMPLES_STALE);
        });
        // Samples again: healthy again.
        round(T0 + 30_000, 100 * MB, 100 * MB, 100 * MB);
        assertThat(transitions.readValuesToList()).extracting(HealthTransition::getToState).containsOnly(HealthState.HEALTHY);
    }

    @Test
    void row8_aPoisonPillGoesToTheDeadLetterTopicAndProcessingContinues() {
        raw.pipeInput("c", "{\"this\": \"is json, not avro\"}", T0);
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        final List<DeadLetter> dl = deadLetters.readValuesToList();
        assertThat(dl).singleElement().satisfies(d -> {
            assertThat(d.getReason()).contains("magic byte 0x7B");
            assertThat(d.getSourceTopic()).isEqualTo(Topics.SAMPLES);
            assertThat(d.getSourceOffset()).isZero();
            assertThat(new String(d.getValue().array())).contains("is json");
        });
        assertThat(transitions.readValuesToList()).hasSize(3);
    }

    /** Issue 17: a '/' in a name would make "a/b" + "c" and "a" + "b/c" one state key ("a/b/c"). */
    @Test
    void row8b_aSampleWhoseNameHoldsASeparatorIsDeadLetteredNotMerged() {
        send(io.replwatch.avro.ReplicationSample.newBuilder(Samples.streaming("s1", T0, 100 * MB)).setCluster("c/s1").build());
        send(io.replwatch.avro.ReplicationSample.newBuilder(Samples.streaming("x/y", T0, 100 * MB)).build());
        assertThat(deadLetters.readValuesToList()).hasSize(2).allSatisfy(d ->
                assertThat(d.getReason()).contains("cannot hold '/'"));
        assertThat(transitions.readValuesToList()).isEmpty();
    }

    /** Issue 17: a second collector watching another cluster under the name "c" gave FAILOVER and SPLIT_BRAIN. */
    @Test
    void row8c_anotherDatabaseSystemUnderTheSameNameIsAnIdentityConflictNotAFailover() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        send(io.replwatch.avro.ReplicationSample.newBuilder(Samples.primary("q", T0 + 1000, 7 * MB, 4, Map.of()))
                .setSystemIdentifier(42L).build());
        round(T0 + 2000, 100 * MB, 100 * MB, 100 * MB);
        final List<HealthTransition> tr = transitions.readValuesToList();
        assertThat(tr).singleElement().satisfies(t -> {
            assertThat(t.getNode()).isEqualTo("q");
            assertThat(t.getToState()).isEqualTo(HealthState.WARNING);
            assertThat(t.getReasons()).extracting(HealthReason::getRule).containsExactly(Rules.CLUSTER_IDENTITY_CONFLICT);
        });
    }

    /** Issue 17: a collector whose clock runs ahead is flagged, and the node is not blinded once it is fixed. */
    @Test
    void row8d_aCollectorClockAheadIsClockSkewAndHidesNoLaterSample() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        final long twoHours = 7_200_000;
        send(Samples.standby("s1", T0 + 5_000 + twoHours, 100 * MB, 100 * MB, "streaming", false, 0));
        assertThat(transitionsOf("s1")).singleElement().satisfies(t -> {
            assertThat(t.getToState()).isEqualTo(HealthState.WARNING);
            assertThat(t.getReasons()).extracting(HealthReason::getRule).containsExactly(Rules.CLOCK_SKEW);
            assertThat(t.getAt().toEpochMilli()).as("taken at the processor's time").isLessThan(T0 + twoHours);
        });
        // The clock fixed: the next samples are used (replay paused shows), and CLOCK_SKEW clears after clear_for.
        for (int i = 2; i <= 6; i++) {
            round(T0 + i * 5_000L, 100 * MB, 100 * MB, 100 * MB);
            send(Samples.standby("s1", T0 + i * 5_000L + 1, 100 * MB, 100 * MB, "streaming", true, 0));
        }
        final List<HealthTransition> later = transitionsOf("s1");
        assertThat(later).isNotEmpty();
        assertThat(later.get(later.size() - 1).getReasons()).extracting(HealthReason::getRule)
                .containsExactly(Rules.REPLAY_PAUSED);
    }

    @Test
    void row9_walThroughputIsEmittedOnceWhenTheWindowClosesAndNeverNegative() {
        // 1 MB every 5 s for two minutes, then the primary's position goes back (a restore): no negative bytes.
        for (int i = 0; i <= 24; i++) {
            send(Samples.primary("p", T0 + i * 5000L, 100 * MB + i * MB, 1, Map.of()));
        }
        send(Samples.primary("p", T0 + 125_000, 10 * MB, 1, Map.of()));
        send(Samples.primary("p", T0 + 200_000, 11 * MB, 1, Map.of()));
        final List<WalThroughput> w = wal.readValuesToList().stream().filter(x -> x.getWindowSizeMs() == 60_000).toList();
        assertThat(w).isNotEmpty().allSatisfy(x -> assertThat(x.getBytes()).isNotNegative());
        assertThat(w.stream().map(WalThroughput::getWindowStart).distinct().count()).as("each window once").isEqualTo(w.size());
        // Windows fully inside the steady part carry 12 MB (12 samples x 1 MB) = 209715 B/s.
        final long windowStart = T0 - Math.floorMod(T0, 60_000L) + 60_000;
        assertThat(w).filteredOn(x -> x.getWindowStart().toEpochMilli() == windowStart).singleElement()
                .satisfies(x -> assertThat(x.getBytes()).isEqualTo(12 * MB));
    }

    @Test
    void row10_aSynchronousStandbyThatStopsStreamingMakesThePrimaryCritical() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        transitions.readValuesToList();
        send(Samples.primary("p", T0 + 5000, 100 * MB, 1, Map.of("s2", 100 * MB)));
        assertThat(transitionsOf("p")).singleElement().satisfies(t -> {
            assertThat(t.getToState()).isEqualTo(HealthState.CRITICAL);
            assertThat(t.getReasons()).extracting(HealthReason::getRule).contains(Rules.SYNC_STANDBY_MISSING);
        });
    }

    @Test
    void row11_transitionIdsAreDeterministic() {
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        final List<String> first = transitions.readValuesToList().stream().map(HealthTransition::getId).toList();
        tearDown();
        setUp();
        round(T0, 100 * MB, 100 * MB, 100 * MB);
        final List<String> again = transitions.readValuesToList().stream().map(HealthTransition::getId).toList();
        assertThat(again).isEqualTo(first).doesNotHaveDuplicates();
    }

    @Test
    void row12_nodeHealthIsPublishedKeyedByClusterAndNode() {
        round(T0, 100 * MB, 100 * MB, 90 * MB);
        final Map<String, NodeHealth> latest = nodeHealth.readKeyValuesToMap();
        assertThat(latest).containsOnlyKeys("c/p", "c/s1", "c/s2");
        assertThat(latest.get("c/s2").getReplayLagBytes()).isEqualTo(10 * MB);
        assertThat(latest.get("c/p").getRole()).isEqualTo("PRIMARY");
    }

    /** Issue 15: requested checkpoints rising while the primary writes: CHECKPOINTS_FORCED with the WAL rate. */
    @Test
    void row13_checkpointsForcedByWalVolumeAreNamedWithTheRate() {
        for (int i = 0; i < 6; i++) {
            final long t = T0 + i * 5000L;
            send(io.replwatch.avro.ReplicationSample.newBuilder(Samples.primary("p", t, 100 * MB + i * 40 * MB, 1, Map.of()))
                    .setCheckpointer(io.replwatch.avro.CheckpointerStats.newBuilder().setTimed(2).setRequested(10 + i).build())
                    .setSettings(io.replwatch.avro.ReplicationSettings.newBuilder(Samples.settings(t, ""))
                            .setCheckpointTimeoutS(300).setMaxWalSizeMb(64L).build())
                    .build());
        }
        assertThat(transitionsOf("p")).anySatisfy(t -> {
            assertThat(t.getToState()).isEqualTo(HealthState.WARNING);
            assertThat(t.getReasons()).extracting(HealthReason::getRule).contains(Rules.CHECKPOINTS_FORCED);
            assertThat(t.getReasons()).extracting(HealthReason::getMessage).anySatisfy(m -> assertThat(m)
                    .contains("forced by WAL volume").contains("WAL at 8.0 MiB/s").contains("max_wal_size is 64 MB"));
        });
    }

    /** A publisher (cluster "pub") with a logical slot sub1 streamed to a subscription sub1 of "subs"/"sub1". */
    private void logicalRound(final long t, final long wal, final long confirmed, final boolean streaming) {
        final ReplicationSample pub = Samples.primary("p", t, wal, 1, Map.of());
        send(ReplicationSample.newBuilder(pub).setCluster("pub")
                .setReplicas(streaming ? List.of(io.replwatch.avro.ReplicaRow.newBuilder().setPid(777)
                        .setApplicationName("sub1").setClientAddr("10.0.0.9").setState("streaming").build()) : List.of())
                .setSlots(List.of(io.replwatch.avro.SlotRow.newBuilder().setSlotName("sub1").setSlotType("logical")
                        .setPlugin("pgoutput").setDatabase("shop").setActive(streaming).setActivePid(streaming ? 777 : null)
                        .setRestartLsn(confirmed).setConfirmedFlushLsn(confirmed).build())).build());
        final ReplicationSample sub = Samples.primary("sub1", t + 1, 7 * MB, 1, Map.of());
        send(ReplicationSample.newBuilder(sub).setCluster("subs").setSystemIdentifier(99L)
                .setSubscriptions(List.of(io.replwatch.avro.SubscriptionRow.newBuilder().setName("sub1").setEnabled(true)
                        .setSlotName("sub1").setApplyPid(4242).build())).build());
        driver.advanceWallClockTime(Duration.ofSeconds(5));
    }

    /**
     * Issue 16: a subscription on one cluster is matched to the slot it consumes on a publisher watched as another
     * cluster (through replwatch.logical-consumers and the global store), and its lag there is its SUBSCRIPTION_LAG;
     * the publisher's slot figures go out on replwatch.lag-rates with the slot named; a dropped slot is withdrawn.
     */
    @Test
    void row16_aSubscriptionIsJudgedByItsPublishersSlot() {
        final TestOutputTopic<String, LagRate> consumers = out(Topics.LOGICAL_CONSUMERS, LagRate.class);
        // Caught up for a minute, the publisher writing 1 MB per poll.
        long t = T0;
        for (int i = 0; i < 12; i++, t += 5000) {
            logicalRound(t, 100 * MB + i * MB, 100 * MB + i * MB, true);
        }
        assertThat(transitionsOf("sub1")).extracting(HealthTransition::getToState).containsExactly(HealthState.HEALTHY);
        final List<LagRate> slotRates = lagRates.readValuesToList().stream().filter(l -> l.getSlot() != null).toList();
        assertThat(slotRates).isNotEmpty().allSatisfy(l -> {
            assertThat(l.getCluster()).isEqualTo("pub");
            assertThat(l.getConsumer()).isEqualTo("sub1");
            assertThat(l.getTimeLagMs()).isZero();
        });
        // The apply stops confirming at 111 MB while the publisher writes on: 90 s later, SUBSCRIPTION_LAG.
        final long stuck = 111 * MB;
        for (int i = 12; i < 36; i++, t += 5000) {
            logicalRound(t, 100 * MB + i * MB, stuck, true);
        }
        final List<HealthTransition> lag = transitionsOf("sub1");
        assertThat(lag).isNotEmpty();
        final HealthReason reason = lag.get(lag.size() - 1).getReasons().stream()
                .filter(r -> r.getRule().equals(Rules.SUBSCRIPTION_LAG)).findFirst().orElseThrow();
        assertThat(reason.getMessage()).startsWith("subscription sub1 is").contains("behind its publisher pub/p (slot sub1")
                .contains("stalled");
        assertThat(lag.get(lag.size() - 1).getToState()).isEqualTo(HealthState.WARNING);
        // The slot dropped on the publisher: its record is withdrawn, and the subscription's lag is no longer claimed.
        final List<org.apache.kafka.streams.test.TestRecord<String, LagRate>> before = consumers.readRecordsToList();
        assertThat(before).isNotEmpty().allSatisfy(r -> assertThat(r.key()).isEqualTo("pub/p/sub1"));
        send(ReplicationSample.newBuilder(Samples.primary("p", t, 200 * MB, 1, Map.of())).setCluster("pub").build());
        assertThat(consumers.readRecordsToList()).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("pub/p/sub1");
            assertThat(r.value()).isNull();
        });
        for (int i = 0; i < 12; i++) {
            t += 5000;
            final ReplicationSample sub = Samples.primary("sub1", t, 7 * MB, 1, Map.of());
            send(ReplicationSample.newBuilder(sub).setCluster("subs").setSystemIdentifier(99L)
                    .setSubscriptions(List.of(io.replwatch.avro.SubscriptionRow.newBuilder().setName("sub1")
                            .setEnabled(true).setSlotName("sub1").setApplyPid(4242).build())).build());
            driver.advanceWallClockTime(Duration.ofSeconds(5));
        }
        assertThat(transitionsOf("sub1")).extracting(HealthTransition::getToState).containsExactly(HealthState.HEALTHY);
    }
}
