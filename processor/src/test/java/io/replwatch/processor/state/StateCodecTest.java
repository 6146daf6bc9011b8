package io.replwatch.processor.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.PollStatus;
import io.replwatch.processor.health.Finding;
import io.replwatch.processor.health.RuleTracker;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.rollup.RollupAcc;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class StateCodecTest {

    private static JsonNode tree(final Object o) {
        return LegacyStateSerde.JSON.valueToTree(o);
    }

    private static <T> T roundTrip(final Serde<T> serde, final T value) {
        final byte[] bytes = serde.serializer().serialize("t", value);
        assertThat(bytes[0]).as("format byte").isEqualTo((byte) (value instanceof NodeState ? StateCodec.V8 : StateCodec.V5));
        return serde.deserializer().deserialize("t", bytes);
    }

    static RollupAcc rollup(final String period, final long start) {
        final RollupAcc a = RollupAcc.open(period, start, start + 3_600_000);
        a.samples = 3600;
        a.ok = 3599;
        a.walBytes = 9_876_543_210L;
        a.walRateMax = 1.5e6;
        a.lagBytesMax = 123_456L;
        a.lagMsMax = 4_200L;
        a.slotMax = -1L;
        a.slotCount = 2;
        a.conflicts = 7;
        a.walRate = new TreeMap<>(Map.of(0, 10L, 80, 3590L));
        a.lagBytes = new TreeMap<>(Map.of(0, 3000L, 40, 600L));
        a.lagMs = new TreeMap<>(Map.of(12, 1L));
        final RollupAcc.SlotAcc slot = new RollupAcc.SlotAcc();
        slot.plugin = "pgoutput";
        slot.consumer = "orders_sub";
        slot.retainedMax = 1L << 33;
        slot.lagBytesMax = 4096L;
        slot.lagMsMax = 93_000L;
        a.logical.put("orders_sub", slot);
        return a;
    }

    /** A node state with every field set to something other than its default. */
    static NodeState fullNode() {
        final NodeState n = new NodeState();
        n.cluster = "orders";
        n.node = "pg-ü-2";
        n.role = NodeState.Role.STANDBY;
        n.labels = Map.of("env", "prod", "team", "payments");
        n.lastSampleAt = 1_760_000_000_000L;
        n.lastSeenWall = 1_760_000_000_123L;
        n.intervalMs = 1000L;
        n.collectorId = "collector-eu-1";
        n.lastSequence = 4242L;
        n.clockSkewMs = -600_000L;
        n.status = PollStatus.OK;
        n.message = "fine";
        n.timeline = 3;
        n.inRecovery = true;
        n.walPrevLsn = Long.MAX_VALUE;
        n.walPrevTimeline = 3;
        final NodeState.WalWindow w = new NodeState.WalWindow();
        w.start = 1_759_999_980_000L;
        w.bytes = 65_536;
        w.samples = 20;
        w.timeline = 3;
        n.walWindows.put("60000@1759999980000", w);
        n.lagPoints = new ArrayList<>(List.of(new Trend.Point(1, 2, 3, 4, null), new Trend.Point(5, Long.MIN_VALUE, 7, 8, 3)));
        n.conflictPoints = new ArrayList<>(List.of(new NodeState.ConflictPoint(1, 0), new NodeState.ConflictPoint(2, 5)));
        n.stalledSince = 99L;
        n.replayLagBytes = 0L;
        n.timeLagMs = 12L;
        n.trend = LagTrend.CATCHING_UP;
        n.rollup.open.put("HOUR@0", rollup("HOUR", 0));
        n.rollup.lastWal = 42L;
        n.rollup.lastWalAt = 43L;
        n.rollup.lastTimeline = 3;
        n.rollup.lastConflicts = 5L;
        final RuleTracker t = new RuleTracker();
        t.pendingSince = 1L;
        t.firing = true;
        t.firedAt = 2L;
        t.clearingSince = 3L;
        t.downgradeSince = 4L;
        t.current = new Finding("TIME_LAG", HealthState.CRITICAL, 301.5, 300.0, "s", "replay is 301 s behind");
        n.trackers.put("TIME_LAG", t);
        n.state = HealthState.CRITICAL;
        n.stateSince = 2L;
        n.firingRules = new ArrayList<>(List.of("TIME_LAG", "REPLAY_STALLED"));
        n.healthEmittedWall = 5L;
        n.stale = true;
        n.checkpointPoints = new ArrayList<>(List.of(new NodeState.CheckpointPoint(1L, 10L, 2L),
                new NodeState.CheckpointPoint(900_000L, 11L, 9L)));
        n.rejoinSince = 1_760_000_000_500L;
        n.receiverDownSince = 1_760_000_000_400L;
        n.logicalSlotPoints = new java.util.HashMap<>(Map.of("cdc", new ArrayList<>(List.of(
                new Trend.Point(10, 100, 50, 150, 3), new Trend.Point(20, 100, 90, 190, 3)))));
        n.subscriptionErrors = new java.util.HashMap<>(Map.of("sub1", new ArrayList<>(List.of(
                new NodeState.ConflictPoint(10, 0), new NodeState.ConflictPoint(20, 3)))));
        n.slotSpill = new java.util.HashMap<>(Map.of("cdc", new ArrayList<>(List.of(
                new NodeState.ConflictPoint(10, 0), new NodeState.ConflictPoint(20, 1L << 30)))));
        final NodeState.LagWindow lw = new NodeState.LagWindow();
        lw.start = 1_760_000_000_000L;
        lw.samples = 9;
        lw.base = new Trend.Point(1_759_999_999_000L, 100, 50, 150, 3);
        lw.last = new Trend.Point(1_760_000_009_000L, 900, -5, 950, null);
        lw.minLag = 0L;
        lw.maxLag = 1L << 40;
        lw.maxTimeLag = 12_000L;
        lw.upstream = "pg-1";
        lw.sentLag = 1L;
        lw.writeLag = 2L;
        lw.flushLag = 3L;
        lw.receiveLag = 4L;
        lw.timeLag = 5L;
        lw.trend = LagTrend.FALLING_BEHIND;
        lw.consumer = "orders_sub";
        lw.consumerAddr = "10.0.0.9";
        n.lagWindows = new java.util.HashMap<>(Map.of("", lw));
        final ClusterState.PrimaryView view = new ClusterState.PrimaryView();
        view.sampleAt = 1_760_000_009_000L;
        view.timeline = 3;
        view.systemIdentifier = 7_300_000_000_000_000_001L;
        view.replicas = new ArrayList<>(List.of(new ClusterState.Replica(4242, "pg-2", "streaming", 100L, 90L, 80L, 70L, "async"),
                // Words the compact layout does not know, LSNs missing, and one past 2^63 (differences wrap).
                new ClusterState.Replica(null, null, "some-new-state", null, 5L, null, -3L, null),
                new ClusterState.Replica(7, "pg-3", null, -1L, Long.MAX_VALUE, 0L, 0L, "quorum")));
        view.slotActivePids = new java.util.HashMap<>(Map.of("pg_2", 4242L));
        n.primaryView = view;
        return n;
    }

    static ClusterState fullCluster() {
        final ClusterState c = new ClusterState();
        c.primary = "pg-1";
        c.systemIdentifier = 7_300_000_000_000_000_000L;
        c.timeline = 3;
        c.primarySampleAt = 10L;
        c.history.times.add(1L);
        c.history.lsns.add(2L);
        c.history.timeline = 3;
        c.replicas.add(new ClusterState.Replica(4242, "pg-2", "streaming", 100L, 90L, 80L, 70L, "async"));
        c.slotActivePids = Map.of("pg_2", 4242L);
        c.outOfRecovery = Map.of("pg-1", 10L);
        final RollupAcc day = rollup("DAY", 0);
        day.logical = new TreeMap<>(); // a cluster's merged rollups keep no slots
        c.rollups.put("DAY@0", day);
        c.failoverAt = 9L;
        c.failoverFrom = "pg-0";
        c.failoverTo = "pg-1";
        c.primarySettings = Map.of("max_connections", 200L, "archive_timeout_s", 60L);
        c.downstreams = Map.of("pg-2", List.of("pg-3", "pg-4"));
        c.downNodes = Map.of("pg-2", 11L);
        c.backNodes = Map.of("pg-5", 12L);
        c.failoverPlanned = true;
        c.primaryPatroni = "leader/running";
        return c;
    }

    /**
     * Fails when a state class gains a field this test's fixtures leave at its default: the round trip below only
     * proves the codec for the fields the fixtures set. (The history is kept in its own store, not in this record.)
     */
    private static void assertEveryFieldSet(final Object o, final String path) throws IllegalAccessException {
        for (final Field f : o.getClass().getFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.isAnnotationPresent(com.fasterxml.jackson.annotation.JsonIgnore.class)) {
                continue;
            }
            final Object v = f.get(o);
            final String where = path + "." + f.getName();
            assertThat(v).as(where).isNotNull();
            if (v instanceof Collection<?> c) {
                assertThat(c).as(where).isNotEmpty();
                for (final Object e : c) {
                    if (e.getClass().getName().startsWith("io.replwatch.processor")) {
                        assertEveryFieldSet(e, where + "[]");
                    }
                }
            } else if (v instanceof Map<?, ?> m) {
                assertThat(m).as(where).isNotEmpty();
                for (final Object e : m.values()) {
                    if (e.getClass().getName().startsWith("io.replwatch.processor")) {
                        assertEveryFieldSet(e, where + "[]");
                    }
                }
            } else if (v instanceof Boolean b) {
                assertThat(b).as(where).isTrue();
            } else if (v.getClass().getName().startsWith("io.replwatch.processor") && !v.getClass().isRecord()) {
                assertEveryFieldSet(v, where);
            }
        }
    }

    @Test
    void nodeStateSurvivesTheRoundTripField_forField() throws Exception {
        final NodeState n = fullNode();
        assertEveryFieldSet(n, "NodeState");
        final NodeState back = roundTrip(StateCodec.nodeSerde(), n);
        assertThat(tree(back)).isEqualTo(tree(n));
        // The rollups' logical slots (V5) are outside the JSON form: compared on their own, field for field.
        final RollupAcc.SlotAcc slot = n.rollup.open.get("HOUR@0").logical.get("orders_sub");
        assertEveryFieldSet(slot, "SlotAcc");
        assertThat(back.rollup.open.get("HOUR@0").logical.get("orders_sub")).usingRecursiveComparison().isEqualTo(slot);
        assertThat(back.lagPoints.get(1)).isEqualTo(new Trend.Point(5, Long.MIN_VALUE, 7, 8, 3));
        assertThat(back.lagPoints.get(0).timeline()).isNull();
    }

    @Test
    void clusterStateSurvivesTheRoundTrip() throws Exception {
        final ClusterState c = fullCluster();
        assertEveryFieldSet(c, "ClusterState");
        final ClusterState back = roundTrip(StateCodec.clusterSerde(), c);
        assertThat(tree(back)).isEqualTo(tree(c));
    }

    @Test
    void emptyStateAndNullsSurviveTheRoundTrip() {
        final NodeState n = new NodeState();
        n.inRecovery = false;
        final NodeState back = roundTrip(StateCodec.nodeSerde(), n);
        assertThat(tree(back)).isEqualTo(tree(n));
        assertThat(back.inRecovery).isFalse();
        assertThat(back.timeline).isNull();
        assertThat(tree(roundTrip(StateCodec.clusterSerde(), new ClusterState()))).isEqualTo(tree(new ClusterState()));
    }

    @Test
    void stateWrittenByEarlierVersionsIsStillRead() {
        final NodeState n = fullNode();
        final byte[] smile = new LegacyStateSerde<>(NodeState.class).serializer().serialize("t", n);
        assertThat(tree(StateCodec.nodeSerde().deserializer().deserialize("t", smile))).isEqualTo(tree(n));
        final byte[] binary = StateCodec.nodeSerde().serializer().serialize("t", n);
        assertThat(binary.length).as("binary vs Smile bytes").isLessThan(smile.length / 2);
    }

    @Test
    void truncatedOrCorruptStateIsASerializationErrorNotAGiantAllocation() {
        final byte[] bytes = StateCodec.nodeSerde().serializer().serialize("t", fullNode());
        for (final int cut : new int[] {1, 2, bytes.length / 2, bytes.length - 1}) {
            assertThatThrownBy(() -> StateCodec.nodeSerde().deserializer().deserialize("t", Arrays.copyOf(bytes, cut)))
                    .as("cut at %d", cut).isInstanceOf(SerializationException.class);
        }
        final byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> StateCodec.nodeSerde().deserializer().deserialize("t", longer))
                .isInstanceOf(SerializationException.class).hasMessageContaining("trailing");
        // A string length of 2^40 where the cluster name's length belongs.
        assertThatThrownBy(() -> StateCodec.nodeSerde().deserializer().deserialize("t",
                new byte[] {1, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x40}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("length");
    }

    /**
     * Records written by the processor before its state was typed (enums as strings, lag points as number arrays;
     * files in src/test/resources/state, written by that version from these same fixtures) still read, field for
     * field: a running processor's changelogs restore after the upgrade. V1 is also still the layout written.
     */
    @Test
    void recordsWrittenBeforeTheStateWasTypedStillRead() throws Exception {
        final byte[] nodeV1 = fixture("node-v1.bin");
        final byte[] clusterV1 = fixture("cluster-v1.bin");
        assertThat(tree(StateCodec.nodeSerde().deserializer().deserialize("t", nodeV1))).isEqualTo(tree(beforeV2(fullNode())));
        assertThat(tree(StateCodec.clusterSerde().deserializer().deserialize("t", clusterV1)))
                .isEqualTo(tree(beforeV3(fullCluster())));
        // The layout V5 writes is V1's followed by the fields V3 and V5 add: without them, six bytes more (four empty
        // maps, a false and a null), as long as the fixture otherwise (map order is the fixture JVM's, so bytes are
        // compared by length).
        assertThat(StateCodec.clusterSerde().serializer().serialize("t", beforeV3(fullCluster())))
                .hasSize(clusterV1.length + 6);
        for (final String legacy : List.of("node-smile.bin", "node.json")) {
            final NodeState n = StateCodec.nodeSerde().deserializer().deserialize("t", fixture(legacy));
            assertThat(tree(n)).as(legacy).isEqualTo(tree(beforeV2(fullNode())));
            assertThat(n.lagPoints.get(0)).as(legacy).isEqualTo(new Trend.Point(1, 2, 3, 4, null));
            assertThat(n.trend).as(legacy).isEqualTo(LagTrend.CATCHING_UP);
        }
        for (final String legacy : List.of("cluster-smile.bin", "cluster.json")) {
            assertThat(tree(StateCodec.clusterSerde().deserializer().deserialize("t", fixture(legacy)))).as(legacy)
                    .isEqualTo(tree(beforeV3(fullCluster())));
        }
    }

    /** A cluster record written by V3 (V5's layout without its two trailing Patroni fields, format byte 3) still reads. */
    @Test
    void clusterStateWrittenByV3StillReads() {
        final ClusterState c = fullCluster();
        c.failoverPlanned = false;
        c.primaryPatroni = null;
        final byte[] v5 = StateCodec.clusterSerde().serializer().serialize("t", c);
        final byte[] v3 = Arrays.copyOf(v5, v5.length - 2);
        v3[0] = (byte) StateCodec.V3;
        assertThat(tree(StateCodec.clusterSerde().deserializer().deserialize("t", v3))).isEqualTo(tree(c));
    }

    /** A node record written by V2 (V3's layout without its two trailing fields, format byte 2) still reads. */
    @Test
    void nodeStateWrittenByV2StillReads() {
        final NodeState v2 = fullNode();
        v2.checkpointPoints = new ArrayList<>();
        v2.rejoinSince = null;
        v2.receiverDownSince = null;
        v2.logicalSlotPoints = new java.util.HashMap<>();
        v2.subscriptionErrors = new java.util.HashMap<>();
        v2.slotSpill = new java.util.HashMap<>();
        v2.rollup.open.values().forEach(a -> a.logical = new TreeMap<>());
        v2.lagWindows = new java.util.HashMap<>();
        v2.primaryView = null;
        final byte[] v5 = StateCodec.encodeNode(v2, StateCodec.V6);
        // V3 wrote an empty point list (1 byte) and two absent times (1 byte each) after the V2 fields, V4 three
        // empty maps, V5 one, V6 one and an absent view.
        final byte[] bytes = java.util.Arrays.copyOf(v5, v5.length - 9);
        bytes[0] = (byte) StateCodec.V2;
        assertThat(tree(StateCodec.nodeSerde().deserializer().deserialize("t", bytes))).isEqualTo(tree(v2));
    }

    /** A node record written by V3 (V4's layout without its trailing slot windows, format byte 3) still reads. */
    @Test
    void nodeStateWrittenByV3StillReads() {
        final NodeState v3 = fullNode();
        v3.logicalSlotPoints = new java.util.HashMap<>();
        v3.subscriptionErrors = new java.util.HashMap<>();
        v3.slotSpill = new java.util.HashMap<>();
        v3.rollup.open.values().forEach(a -> a.logical = new TreeMap<>());
        v3.lagWindows = new java.util.HashMap<>();
        v3.primaryView = null;
        final byte[] v5 = StateCodec.encodeNode(v3, StateCodec.V6);
        // V4 wrote three empty maps (1 byte each) after the V3 fields, V5 one more, V6 one more and an absent view.
        final byte[] bytes = java.util.Arrays.copyOf(v5, v5.length - 6);
        bytes[0] = (byte) StateCodec.V3;
        assertThat(tree(StateCodec.nodeSerde().deserializer().deserialize("t", bytes))).isEqualTo(tree(v3));
    }

    /** A node record written by V4 (V5's layout without the rollups' logical slots, format byte 4) still reads. */
    @Test
    void nodeStateWrittenByV4StillReads() {
        final NodeState v4 = fullNode();
        v4.rollup.open.values().forEach(a -> a.logical = new TreeMap<>());
        v4.lagWindows = new java.util.HashMap<>();
        v4.primaryView = null;
        final byte[] v5 = StateCodec.encodeNode(v4, StateCodec.V6);
        final byte[] bytes = java.util.Arrays.copyOf(v5, v5.length - 3);
        bytes[0] = (byte) StateCodec.V4;
        assertThat(tree(StateCodec.nodeSerde().deserializer().deserialize("t", bytes))).isEqualTo(tree(v4));
    }

    /** A node record written by V5 (V6's layout without the open lag-rate windows, format byte 5) still reads. */
    @Test
    void nodeStateWrittenByV5StillReads() {
        final NodeState v5 = fullNode();
        v5.lagWindows = new java.util.HashMap<>();
        v5.primaryView = null;
        final byte[] v6 = StateCodec.encodeNode(v5, StateCodec.V6);
        final byte[] bytes = java.util.Arrays.copyOf(v6, v6.length - 2);
        bytes[0] = (byte) StateCodec.V5;
        final NodeState back = StateCodec.nodeSerde().deserializer().deserialize("t", bytes);
        assertThat(tree(back)).isEqualTo(tree(v5));
        assertThat(back.rollup.open.get("HOUR@0").logical).isNotEmpty();
    }

    /** V6's layout, as the processor wrote it until V7: every field, still read field for field. */
    @Test
    void nodeStateWrittenByV6StillReads() {
        final NodeState n = fullNode();
        final byte[] v6 = StateCodec.encodeNode(n, StateCodec.V6);
        assertThat(v6[0]).isEqualTo((byte) StateCodec.V6);
        final NodeState back = StateCodec.nodeSerde().deserializer().deserialize("t", v6);
        assertThat(tree(back)).isEqualTo(tree(n));
        assertThat(back.lagPoints).isEqualTo(n.lagPoints);
        assertThat(StateCodec.nodeSerde().serializer().serialize("t", n)).as("V8 is written").startsWith(StateCodec.V8);
    }

    /**
     * Until V8 a node's open day also held its open hour's samples; from V8 it holds closed hours only and each hour is
     * added when it closes. A V7 record's day comes back without its open hour (counts, sums and histograms), so the
     * hour is not counted twice when it closes; a V8 record's day comes back as written.
     */
    @Test
    void aV7RecordsOpenDayComesBackWithoutItsOpenHour() {
        final NodeState n = fullNode();
        final RollupAcc hour = n.rollup.open.get("HOUR@0");
        final RollupAcc day = rollup("DAY", 0);
        day.end = 86_400_000;
        day.samples = hour.samples + 100;
        day.ok = hour.ok + 90;
        day.walBytes = hour.walBytes + 5;
        day.conflicts = hour.conflicts + 2;
        day.walRate = new TreeMap<>(Map.of(0, 10L, 80, 3600L, 81, 5L));
        day.lagBytes = new TreeMap<>(Map.of(0, 3000L, 40, 700L));
        n.rollup.open.put("DAY@0", day);

        final NodeState v8 = StateCodec.nodeSerde().deserializer().deserialize("t",
                StateCodec.nodeSerde().serializer().serialize("t", n));
        assertThat(v8.rollup.open.get("DAY@0").samples).isEqualTo(hour.samples + 100);

        final NodeState v7 = StateCodec.nodeSerde().deserializer().deserialize("t", StateCodec.encodeNode(n, StateCodec.V7));
        final RollupAcc back = v7.rollup.open.get("DAY@0");
        assertThat(back.samples).isEqualTo(100);
        assertThat(back.ok).isEqualTo(90);
        assertThat(back.walBytes).isEqualTo(5);
        assertThat(back.conflicts).isEqualTo(2);
        assertThat(back.walRate).isEqualTo(Map.of(80, 10L, 81, 5L));
        assertThat(back.lagBytes).isEqualTo(Map.of(40, 100L));
        assertThat(back.lagMs).isEmpty();
        assertThat(back.lagBytesMax).as("maxima stay").isEqualTo(day.lagBytesMax);
        assertThat(v7.rollup.open.get("HOUR@0").samples).as("the hour itself is untouched").isEqualTo(hour.samples);
    }

    /**
     * V7 writes enums by position: appending a constant keeps every record readable, moving one does not (it needs a
     * new format byte). This pins the positions the records on disk use.
     */
    @Test
    void theEnumPositionsTheStateUsesAreUnchanged() {
        assertThat(NodeState.Role.values()).extracting(Enum::name).startsWith("PRIMARY", "STANDBY");
        assertThat(io.replwatch.avro.HealthState.values()).extracting(Enum::name)
                .startsWith("UNKNOWN", "HEALTHY", "WARNING", "CRITICAL", "DOWN");
        assertThat(LagTrend.values()).extracting(Enum::name)
                .startsWith("UNKNOWN", "OK", "CATCHING_UP", "FALLING_BEHIND", "STALLED", "REWIND");
        assertThat(io.replwatch.avro.PollStatus.values()).extracting(Enum::name)
                .startsWith("OK", "UNREACHABLE", "AUTH_FAILED", "PERMISSION_DENIED", "TIMEOUT", "ERROR");
    }

    /** The compact layout's points: differences that wrap in 64 bits (LSNs past 2^63) and go back in time still read. */
    @Test
    void trendPointsWithWrappingDifferencesSurviveTheRoundTrip() {
        final NodeState n = new NodeState();
        n.lastSampleAt = 1_764_000_000_000L;
        n.lagPoints.add(new Trend.Point(1_764_000_000_000L, Long.MAX_VALUE - 5, 0, Long.MAX_VALUE - 5, 1));
        n.lagPoints.add(new Trend.Point(1_763_999_999_000L, Long.MIN_VALUE + 5, 10, Long.MIN_VALUE + 15, null));
        n.lagPoints.add(new Trend.Point(0, 0, -1, -1L, Integer.MAX_VALUE));
        n.lagPoints.add(new Trend.Point(Long.MAX_VALUE, -1L, Long.MIN_VALUE, 7, 0));
        final NodeState back = roundTrip(StateCodec.nodeSerde(), n);
        assertThat(back.lagPoints).isEqualTo(n.lagPoints);
    }

    @Test
    void anUnknownEnumIsCorruptState() {
        final NodeState m = new NodeState();
        m.trend = LagTrend.OK;
        final byte[] v7 = StateCodec.nodeSerde().serializer().serialize("t", m);
        final byte[] compactBad = v7.clone();
        // The trend's position follows the timeLagMs presence byte; find it by encoding a different trend.
        m.trend = LagTrend.CATCHING_UP;
        final byte[] other = StateCodec.nodeSerde().serializer().serialize("t", m);
        int at = 0;
        while (v7[at] == other[at]) {
            at++;
        }
        compactBad[at] = 100; // zig-zag: 50
        assertThatThrownBy(() -> StateCodec.nodeSerde().deserializer().deserialize("t", compactBad))
                .isInstanceOf(SerializationException.class).hasMessageContaining("LagTrend #50");
        final NodeState n = new NodeState();
        n.trend = LagTrend.OK;
        final byte[] bytes = StateCodec.encodeNode(n, StateCodec.V6);
        final String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).replace("UNKNOWN", "UNKNOWX");
        assertThatThrownBy(() -> StateCodec.nodeSerde().deserializer().deserialize("t",
                text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("UNKNOWX");
    }

    /** The fixture as state written before V2 holds it: without the fields V2 added. */
    private static NodeState beforeV2(final NodeState n) {
        n.collectorId = null;
        n.lastSequence = null;
        n.clockSkewMs = null;
        n.checkpointPoints = new ArrayList<>();
        n.rejoinSince = null;
        n.receiverDownSince = null;
        n.logicalSlotPoints = new java.util.HashMap<>();
        n.subscriptionErrors = new java.util.HashMap<>();
        n.slotSpill = new java.util.HashMap<>();
        n.lagWindows = new java.util.HashMap<>();
        n.primaryView = null;
        return n;
    }

    /** The cluster fixture as state written before V3 holds it. */
    private static ClusterState beforeV3(final ClusterState c) {
        c.primarySettings = new java.util.HashMap<>();
        c.downstreams = new java.util.HashMap<>();
        c.downNodes = new java.util.HashMap<>();
        c.backNodes = new java.util.HashMap<>();
        c.failoverPlanned = false;
        c.primaryPatroni = null;
        return c;
    }

    private static byte[] fixture(final String name) throws java.io.IOException {
        try (java.io.InputStream in = StateCodecTest.class.getResourceAsStream("/state/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }
}
