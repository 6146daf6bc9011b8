package io.replwatch.processor.state;

import io.replwatch.avro.HealthState;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.PollStatus;
import io.replwatch.processor.health.Finding;
import io.replwatch.processor.health.RuleTracker;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.rollup.RollupAcc;
import io.replwatch.processor.rollup.Rollups;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The processor's node and cluster state in a compact binary layout. A node's state is written to its changelog
 * on every sample under exactly-once, so this is on the hot path: it writes no field names and goes straight from
 * the fields to bytes (about a third of the bytes of Smile and several times faster, see BENCHMARKS.md).
 *
 * <p>Every record starts with a format byte. {@link #V1} is this layout; {@link #V2} (node state only) is V1 followed by
 * the node's collector, last sequence number and clock skew; {@link #V3} adds the node's checkpoint points and its
 * rejoin time, and for a cluster its primary's settings; {@link #V4} (node state) adds its logical slots' trend
 * windows, its subscriptions' error totals and its logical slots' spilled bytes; {@link #V5} (node state) adds each
 * open rollup's logical slots; {@link #V6} (node state) adds its open lag-rate windows and, on a primary, the
 * cluster's per-sample fields ({@link ClusterState.PrimaryView}); {@link #V7} (node state) has V6's fields in a compact
 * layout: a base time (the last sample's) after the format byte and every other time as its difference from it,
 * enums by position instead of name, trend points as differences from the point before, no per-point lengths.
 * About 40 % fewer bytes per record, written on every sample (BENCHMARKS.md, issue 22). {@link #V8} (node state) is
 * V7's layout with a node's open day holding its closed hours only (each hour is added to its day when it closes);
 * reading an earlier record takes the open hours out of their days ({@link Rollups#daysWithoutOpenHours}). A record that starts otherwise is state
 * written by an earlier version (Smile or JSON) and is read through {@link LegacyStateSerde}, so an upgrade restores
 * from existing changelogs. A field added later needs a new format byte whose reader still reads V1.
 */
public final class StateCodec {

    static final int V1 = 1;
    static final int V2 = 2;
    static final int V3 = 3;
    static final int V4 = 4;
    static final int V5 = 5;
    static final int V6 = 6;
    static final int V7 = 7;
    static final int V8 = 8;

    private StateCodec() {
    }

    public static Serde<NodeState> nodeSerde() {
        return serde(NodeState.class, V8, StateCodec::writeNodeCompact, StateCodec::readNode, n -> {
            // Smile or JSON state, from before V1: its days held their open hours too.
            Rollups.daysWithoutOpenHours(n.rollup);
            return n;
        });
    }

    public static Serde<ClusterState> clusterSerde() {
        return serde(ClusterState.class, V5, StateCodec::writeCluster, StateCodec::readCluster, c -> c);
    }

    private static <T> Serde<T> serde(final Class<T> type, final int version, final BiConsumer<Bin.Out, T> writer,
                                      final java.util.function.BiFunction<Bin.In, Integer, T> reader,
                                      final java.util.function.UnaryOperator<T> upgradeLegacy) {
        final Deserializer<T> legacy = new LegacyStateSerde<>(type).deserializer();
        final Serializer<T> ser = (topic, value) -> value == null ? null : encode(value, version, writer);
        final Deserializer<T> de = (topic, data) -> {
            if (data == null) {
                return null;
            }
            if (data.length > 0 && data[0] >= V1 && data[0] <= version) {
                final Bin.In in = new Bin.In(data, 1);
                final T value = reader.apply(in, (int) data[0]);
                if (!in.atEnd()) {
                    throw new SerializationException(type.getSimpleName() + " state has trailing bytes");
                }
                return value;
            }
            final T value = legacy.deserialize(topic, data);
            return value == null ? null : upgradeLegacy.apply(value);
        };
        return new Serde<>() {
            @Override
            public Serializer<T> serializer() {
                return ser;
            }

            @Override
            public Deserializer<T> deserializer() {
                return de;
            }
        };
    }

    /** One buffer per stream thread, reused: a node's state is encoded on every sample. */
    private static final ThreadLocal<Bin.Out> BUFFER = ThreadLocal.withInitial(Bin.Out::new);

    static <T> byte[] encode(final T value, final int version, final BiConsumer<Bin.Out, T> writer) {
        final Bin.Out out = BUFFER.get();
        out.reset();
        out.u8(version);
        writer.accept(out, value);
        return out.toBytes();
    }

    // ---- node

    /** The layout written since V7 (V8 too): V6's fields, times from the record's base time, enums by position, deltas. */
    static void writeNodeCompact(final Bin.Out o, final NodeState n) {
        o.compact = true;
        o.base = n.lastSampleAt == null ? 0 : n.lastSampleAt;
        o.varLong(o.base);
        writeNode(o, n);
    }

    /** A node record in the layout of {@code version}: V8's, or (for the tests of older records) V7's or V6's. */
    static byte[] encodeNode(final NodeState n, final int version) {
        return encode(n, version, version >= V7 ? StateCodec::writeNodeCompact : StateCodec::writeNode);
    }

    static void writeNode(final Bin.Out o, final NodeState n) {
        o.str(n.cluster);
        o.str(n.node);
        o.constant(n.role);
        map(o, n.labels, Bin.Out::str);
        o.optTime(n.lastSampleAt);
        o.optTime(n.lastSeenWall);
        o.optLong(n.intervalMs);
        o.constant(n.status);
        o.str(n.message);
        o.optInt(n.timeline);
        o.optBool(n.inRecovery);
        o.optLong(n.walPrevLsn);
        o.optInt(n.walPrevTimeline);
        if (o.compact) {
            // Keyed "size@start" (WalWindows): the key is written as the size alone and made again on reading.
            o.varLong(n.walWindows.size());
            n.walWindows.forEach((k, w) -> {
                o.varLong(Long.parseLong(k.substring(0, k.indexOf('@'))));
                writeWalWindow(o, w);
            });
        } else {
            map(o, n.walWindows, StateCodec::writeWalWindow);
        }
        writeTrendPoints(o, n.lagPoints);
        writeCountPoints(o, n.conflictPoints);
        o.optTime(n.stalledSince);
        o.optLong(n.replayLagBytes);
        o.optLong(n.timeLagMs);
        o.constant(n.trend);
        final Rollups.NodeMemory m = n.rollup;
        if (o.compact) {
            // Keyed "PERIOD@start" (Rollups.add): made again from the accumulator on reading.
            o.varLong(m.open.size());
            m.open.values().forEach(a -> writeRollup(o, a));
        } else {
            map(o, m.open, StateCodec::writeRollup);
        }
        o.optLong(m.lastWal);
        o.optTime(m.lastWalAt);
        o.optInt(m.lastTimeline);
        o.optLong(m.lastConflicts);
        map(o, n.trackers, StateCodec::writeTracker);
        o.constant(n.state);
        o.optTime(n.stateSince);
        o.varLong(n.firingRules.size());
        n.firingRules.forEach(o::str);
        o.optTime(n.healthEmittedWall);
        o.bool(n.stale);
        // V2
        o.str(n.collectorId);
        o.optLong(n.lastSequence);
        o.optLong(n.clockSkewMs);
        // V3
        o.varLong(n.checkpointPoints.size());
        for (final NodeState.CheckpointPoint p : n.checkpointPoints) {
            if (!o.compact) {
                o.varLong(3);
            }
            o.time(p.at());
            o.varLong(p.timed());
            o.varLong(p.requested());
        }
        o.optTime(n.rejoinSince);
        o.optTime(n.receiverDownSince);
        // V4
        map(o, n.logicalSlotPoints, StateCodec::writeTrendPoints);
        map(o, n.subscriptionErrors, StateCodec::writeCountPoints);
        map(o, n.slotSpill, StateCodec::writeCountPoints);
        // V5: the open rollups' logical slots, by the rollup's key (most nodes: an empty map)
        final Map<String, Map<String, RollupAcc.SlotAcc>> logical = new java.util.TreeMap<>();
        m.open.forEach((k, a) -> {
            if (!a.logical.isEmpty()) {
                logical.put(k, a.logical);
            }
        });
        map(o, logical, (out, slots) -> map(out, slots, StateCodec::writeSlotAcc));
        // V6
        map(o, n.lagWindows, StateCodec::writeLagWindow);
        o.bool(n.primaryView != null);
        if (n.primaryView != null) {
            final ClusterState.PrimaryView v = n.primaryView;
            o.time(v.sampleAt);
            o.optInt(v.timeline);
            o.optLong(v.systemIdentifier);
            writeReplicas(o, v.replicas);
            map(o, v.slotActivePids, Bin.Out::varLong);
        }
    }

    private static void writeWalWindow(final Bin.Out o, final NodeState.WalWindow w) {
        o.time(w.start);
        o.varLong(w.bytes);
        o.varLong(w.samples);
        o.optInt(w.timeline);
    }

    private static NodeState.WalWindow readWalWindow(final Bin.In i) {
        final NodeState.WalWindow w = new NodeState.WalWindow();
        w.start = i.time();
        w.bytes = i.varLong();
        w.samples = i.varInt();
        w.timeline = i.optInt();
        return w;
    }

    private static void writeLagWindow(final Bin.Out o, final NodeState.LagWindow w) {
        o.time(w.start);
        o.varLong(w.samples);
        o.bool(w.base != null);
        if (o.compact) {
            if (w.base != null) {
                writePoint(o, w.base, null);
            }
            writePoint(o, w.last, w.base);
        } else {
            if (w.base != null) {
                writeTrendPoints(o, List.of(w.base));
            }
            writeTrendPoints(o, List.of(w.last));
        }
        o.optLong(w.minLag);
        o.optLong(w.maxLag);
        o.optLong(w.maxTimeLag);
        o.str(w.upstream);
        o.optLong(w.sentLag);
        o.optLong(w.writeLag);
        o.optLong(w.flushLag);
        o.optLong(w.receiveLag);
        o.optLong(w.timeLag);
        o.constant(w.trend);
        o.str(w.consumer);
        o.str(w.consumerAddr);
    }

    private static NodeState.LagWindow readLagWindow(final Bin.In i) {
        final NodeState.LagWindow w = new NodeState.LagWindow();
        w.start = i.time();
        w.samples = i.varInt();
        final boolean hasBase = i.bool();
        if (i.compact) {
            w.base = hasBase ? readPoint(i, null) : null;
            w.last = readPoint(i, w.base);
        } else {
            if (hasBase) {
                w.base = readTrendPoints(i).get(0);
            }
            w.last = readTrendPoints(i).get(0);
        }
        w.minLag = i.optLong();
        w.maxLag = i.optLong();
        w.maxTimeLag = i.optLong();
        w.upstream = i.str();
        w.sentLag = i.optLong();
        w.writeLag = i.optLong();
        w.flushLag = i.optLong();
        w.receiveLag = i.optLong();
        w.timeLag = i.optLong();
        w.trend = i.constant(LagTrend.class);
        w.consumer = i.str();
        w.consumerAddr = i.str();
        return w;
    }

    private static void writeSlotAcc(final Bin.Out o, final RollupAcc.SlotAcc a) {
        o.str(a.plugin);
        o.str(a.consumer);
        o.optLong(a.retainedMax);
        o.optLong(a.lagBytesMax);
        o.optLong(a.lagMsMax);
    }

    private static RollupAcc.SlotAcc readSlotAcc(final Bin.In i) {
        final RollupAcc.SlotAcc a = new RollupAcc.SlotAcc();
        a.plugin = i.str();
        a.consumer = i.str();
        a.retainedMax = i.optLong();
        a.lagBytesMax = i.optLong();
        a.lagMsMax = i.optLong();
        return a;
    }

    /** Counter points as two numbers each {time, total}: the layout of V1's conflict points. */
    private static void writeCountPoints(final Bin.Out o, final List<NodeState.ConflictPoint> pts) {
        o.varLong(pts.size());
        for (final NodeState.ConflictPoint p : pts) {
            if (!o.compact) {
                o.varLong(2);
            }
            o.time(p.at());
            o.varLong(p.total());
        }
    }

    private static List<NodeState.ConflictPoint> readCountPoints(final Bin.In i) {
        if (i.compact) {
            final int n = i.count();
            final List<NodeState.ConflictPoint> pts = new ArrayList<>(n);
            for (int c = 0; c < n; c++) {
                pts.add(new NodeState.ConflictPoint(i.time(), i.varLong()));
            }
            return pts;
        }
        final List<NodeState.ConflictPoint> pts = new ArrayList<>();
        for (final long[] p : points(i, 2)) {
            pts.add(new NodeState.ConflictPoint(p[0], p[1]));
        }
        return pts;
    }

    /** Trend points as five numbers each {time, replay, lag, primary, timeline or -1}: the layout of V1. */
    private static void writeTrendPoints(final Bin.Out o, final List<Trend.Point> pts) {
        o.varLong(pts.size());
        if (o.compact) {
            Trend.Point prev = null;
            for (final Trend.Point p : pts) {
                writePoint(o, p, prev);
                prev = p;
            }
            return;
        }
        for (final Trend.Point p : pts) {
            o.varLong(5);
            o.varLong(p.time());
            o.varLong(p.replayLsn());
            o.varLong(p.lagBytes());
            o.varLong(p.primaryLsn());
            o.varLong(p.timeline() == null ? -1 : p.timeline());
        }
    }

    /**
     * One trend point in the compact layout, from the one before it in the same list ({@code prev}, null for the
     * first): its time and replay position as differences, its lag, the primary's position as what it is beyond
     * replay + lag (nearly always 0), its timeline. About 10 bytes instead of 19 (LSNs are unsigned: the
     * differences wrap, and unwrap, in 64 bits).
     */
    private static void writePoint(final Bin.Out o, final Trend.Point p, final Trend.Point prev) {
        if (prev == null) {
            o.time(p.time());
            o.varLong(p.replayLsn());
        } else {
            o.varLong(p.time() - prev.time());
            o.varLong(p.replayLsn() - prev.replayLsn());
        }
        o.varLong(p.lagBytes());
        o.varLong(p.primaryLsn() - p.replayLsn() - p.lagBytes());
        o.varLong(p.timeline() == null ? -1 : p.timeline());
    }

    private static Trend.Point readPoint(final Bin.In i, final Trend.Point prev) {
        final long time = prev == null ? i.time() : prev.time() + i.varLong();
        final long replay = prev == null ? i.varLong() : prev.replayLsn() + i.varLong();
        final long lag = i.varLong();
        final long primary = replay + lag + i.varLong();
        final long timeline = i.varLong();
        if (timeline < -1 || timeline > Integer.MAX_VALUE) {
            throw new SerializationException("bad timeline " + timeline + " in a state point");
        }
        return new Trend.Point(time, replay, lag, primary, timeline < 0 ? null : (int) timeline);
    }

    private static List<Trend.Point> readTrendPoints(final Bin.In i) {
        if (i.compact) {
            final int n = i.count();
            final List<Trend.Point> pts = new ArrayList<>(n);
            Trend.Point prev = null;
            for (int c = 0; c < n; c++) {
                prev = readPoint(i, prev);
                pts.add(prev);
            }
            return pts;
        }
        final List<Trend.Point> pts = new ArrayList<>();
        for (final long[] p : points(i, 5)) {
            pts.add(new Trend.Point(p[0], p[1], p[2], p[3], p[4] < 0 ? null : (int) p[4]));
        }
        return pts;
    }

    static NodeState readNode(final Bin.In i, final int version) {
        if (version >= V7) {
            i.compact = true;
            i.base = i.varLong();
        }
        final NodeState n = new NodeState();
        n.cluster = i.str();
        n.node = i.str();
        n.role = i.constant(NodeState.Role.class);
        n.labels = map(i, new HashMap<>(), Bin.In::str);
        n.lastSampleAt = i.optTime();
        n.lastSeenWall = i.optTime();
        n.intervalMs = i.optLong();
        n.status = i.constant(PollStatus.class);
        n.message = i.str();
        n.timeline = i.optInt();
        n.inRecovery = i.optBool();
        n.walPrevLsn = i.optLong();
        n.walPrevTimeline = i.optInt();
        if (i.compact) {
            for (int c = i.count(); c > 0; c--) {
                final long size = i.varLong();
                final NodeState.WalWindow w = readWalWindow(i);
                n.walWindows.put(size + "@" + w.start, w);
            }
        } else {
            map(i, n.walWindows, StateCodec::readWalWindow);
        }
        n.lagPoints.addAll(readTrendPoints(i));
        n.conflictPoints.addAll(readCountPoints(i));
        n.stalledSince = i.optTime();
        n.replayLagBytes = i.optLong();
        n.timeLagMs = i.optLong();
        n.trend = i.constant(LagTrend.class);
        final Rollups.NodeMemory m = n.rollup;
        if (i.compact) {
            for (int c = i.count(); c > 0; c--) {
                final RollupAcc a = readRollup(i);
                m.open.put(a.period + "@" + a.start, a);
            }
        } else {
            map(i, m.open, StateCodec::readRollup);
        }
        m.lastWal = i.optLong();
        m.lastWalAt = i.optTime();
        m.lastTimeline = i.optInt();
        m.lastConflicts = i.optLong();
        map(i, n.trackers, StateCodec::readTracker);
        n.state = i.constant(HealthState.class);
        n.stateSince = i.optTime();
        for (int c = i.count(); c > 0; c--) {
            n.firingRules.add(i.str());
        }
        n.healthEmittedWall = i.optTime();
        n.stale = i.bool();
        if (version >= V2) {
            n.collectorId = i.str();
            n.lastSequence = i.optLong();
            n.clockSkewMs = i.optLong();
        }
        if (version >= V3) {
            if (i.compact) {
                for (int c = i.count(); c > 0; c--) {
                    n.checkpointPoints.add(new NodeState.CheckpointPoint(i.time(), i.varLong(), i.varLong()));
                }
            } else {
                for (final long[] p : points(i, 3)) {
                    n.checkpointPoints.add(new NodeState.CheckpointPoint(p[0], p[1], p[2]));
                }
            }
            n.rejoinSince = i.optTime();
            n.receiverDownSince = i.optTime();
        }
        if (version >= V4) {
            map(i, n.logicalSlotPoints, StateCodec::readTrendPoints);
            map(i, n.subscriptionErrors, StateCodec::readCountPoints);
            map(i, n.slotSpill, StateCodec::readCountPoints);
        }
        if (version >= V5) {
            final Map<String, Map<String, RollupAcc.SlotAcc>> logical = map(i, new HashMap<>(),
                    in -> map(in, new java.util.TreeMap<>(), StateCodec::readSlotAcc));
            logical.forEach((k, slots) -> {
                final RollupAcc a = m.open.get(k);
                if (a != null) {
                    a.logical = slots;
                }
            });
        }
        if (version >= V6) {
            map(i, n.lagWindows, StateCodec::readLagWindow);
            if (i.bool()) {
                final ClusterState.PrimaryView v = new ClusterState.PrimaryView();
                v.sampleAt = i.time();
                v.timeline = i.optInt();
                v.systemIdentifier = i.optLong();
                v.replicas = readReplicas(i);
                v.slotActivePids = map(i, new HashMap<>(), Bin.In::varLong);
                n.primaryView = v;
            }
        }
        if (version < V8) {
            Rollups.daysWithoutOpenHours(n.rollup);
        }
        return n;
    }

    private static void writeTracker(final Bin.Out o, final RuleTracker t) {
        o.optTime(t.pendingSince);
        o.bool(t.firing);
        o.optTime(t.firedAt);
        o.optTime(t.clearingSince);
        o.optTime(t.downgradeSince);
        o.bool(t.current != null);
        if (t.current != null) {
            final Finding f = t.current;
            o.str(f.rule());
            o.constant(f.severity());
            o.optDouble(f.value());
            o.optDouble(f.threshold());
            o.str(f.unit());
            o.str(f.message());
        }
    }

    private static RuleTracker readTracker(final Bin.In i) {
        final RuleTracker t = new RuleTracker();
        t.pendingSince = i.optTime();
        t.firing = i.bool();
        t.firedAt = i.optTime();
        t.clearingSince = i.optTime();
        t.downgradeSince = i.optTime();
        if (i.bool()) {
            final String rule = i.str();
            final HealthState severity = i.constant(HealthState.class);
            t.current = new Finding(rule, severity, i.optDouble(), i.optDouble(), i.str(), i.str());
        }
        return t;
    }

    // ---- cluster

    /** The values pg_stat_replication's state and sync_state take: one byte each in the compact layout. */
    private static final List<String> REPLICA_WORDS = List.of("streaming", "async", "sync", "potential", "quorum",
            "catchup", "startup", "backup", "stopping");

    /** A string, in the compact layout as its position among {@code words} plus one when it is one of them. */
    private static void word(final Bin.Out o, final String s, final List<String> words) {
        final int at = s == null ? -1 : words.indexOf(s);
        if (at >= 0) {
            o.varLong(-2 - at);
        } else {
            o.str(s);
        }
    }

    private static String word(final Bin.In i, final List<String> words) {
        final long code = i.peekVarLong();
        if (code < -1) {
            i.varLong();
            if (-2 - code >= words.size()) {
                throw new SerializationException("unknown word #" + code + " in state");
            }
            return words.get((int) (-2 - code));
        }
        return i.str();
    }

    /** An LSN after another: in the compact layout as the distance back from it (0 when they are equal). */
    private static void lsnAfter(final Bin.Out o, final Long lsn, final Long ref) {
        if (!o.compact || ref == null || lsn == null) {
            o.optLong(lsn);
        } else {
            o.bool(true);
            o.varLong(ref - lsn);
        }
    }

    private static Long lsnAfter(final Bin.In i, final Long ref) {
        final Long v = i.optLong();
        if (v == null || !i.compact || ref == null) {
            return v;
        }
        return ref - v;
    }

    private static void writeReplicas(final Bin.Out o, final List<ClusterState.Replica> replicas) {
        o.varLong(replicas.size());
        if (o.compact) {
            for (final ClusterState.Replica r : replicas) {
                o.optInt(r.pid());
                o.str(r.applicationName());
                word(o, r.state(), REPLICA_WORDS);
                o.optLong(r.sentLsn());
                lsnAfter(o, r.writeLsn(), r.sentLsn());
                lsnAfter(o, r.flushLsn(), r.writeLsn());
                lsnAfter(o, r.replayLsn(), r.flushLsn());
                word(o, r.syncState(), REPLICA_WORDS);
            }
            return;
        }
        for (final ClusterState.Replica r : replicas) {
            o.optInt(r.pid());
            o.str(r.applicationName());
            o.str(r.state());
            o.optLong(r.sentLsn());
            o.optLong(r.writeLsn());
            o.optLong(r.flushLsn());
            o.optLong(r.replayLsn());
            o.str(r.syncState());
        }
    }

    private static List<ClusterState.Replica> readReplicas(final Bin.In i) {
        final List<ClusterState.Replica> replicas = new ArrayList<>();
        if (i.compact) {
            for (int n = i.count(); n > 0; n--) {
                final Integer pid = i.optInt();
                final String app = i.str();
                final String state = word(i, REPLICA_WORDS);
                final Long sent = i.optLong();
                final Long write = lsnAfter(i, sent);
                final Long flush = lsnAfter(i, write);
                final Long replay = lsnAfter(i, flush);
                replicas.add(new ClusterState.Replica(pid, app, state, sent, write, flush, replay,
                        word(i, REPLICA_WORDS)));
            }
            return replicas;
        }
        for (int n = i.count(); n > 0; n--) {
            replicas.add(new ClusterState.Replica(i.optInt(), i.str(), i.str(), i.optLong(), i.optLong(),
                    i.optLong(), i.optLong(), i.str()));
        }
        return replicas;
    }

    static void writeCluster(final Bin.Out o, final ClusterState c) {
        o.str(c.primary);
        o.optLong(c.systemIdentifier);
        o.optInt(c.timeline);
        o.optLong(c.primarySampleAt);
        writeReplicas(o, c.replicas);
        map(o, c.slotActivePids, Bin.Out::varLong);
        map(o, c.outOfRecovery, Bin.Out::varLong);
        map(o, c.rollups, StateCodec::writeRollup);
        o.optLong(c.failoverAt);
        o.str(c.failoverFrom);
        o.str(c.failoverTo);
        // V3 (clusters skip V2)
        map(o, c.primarySettings, Bin.Out::varLong);
        map(o, c.downstreams, (out, list) -> {
            out.varLong(list.size());
            list.forEach(out::str);
        });
        map(o, c.downNodes, Bin.Out::varLong);
        map(o, c.backNodes, Bin.Out::varLong);
        // V5 (clusters skip V4)
        o.u8(c.failoverPlanned ? 1 : 0);
        o.str(c.primaryPatroni);
    }

    static ClusterState readCluster(final Bin.In i, final int version) {
        final ClusterState c = new ClusterState();
        c.primary = i.str();
        c.systemIdentifier = i.optLong();
        c.timeline = i.optInt();
        c.primarySampleAt = i.optLong();
        c.replicas = readReplicas(i);
        c.slotActivePids = map(i, new HashMap<>(), Bin.In::varLong);
        c.outOfRecovery = map(i, new HashMap<>(), Bin.In::varLong);
        map(i, c.rollups, StateCodec::readRollup);
        c.failoverAt = i.optLong();
        c.failoverFrom = i.str();
        c.failoverTo = i.str();
        if (version >= V3) {
            c.primarySettings = map(i, new HashMap<>(), Bin.In::varLong);
            c.downstreams = map(i, new HashMap<>(), in -> {
                final List<String> list = new ArrayList<>();
                for (int k = in.count(); k > 0; k--) {
                    list.add(in.str());
                }
                return list;
            });
            c.downNodes = map(i, new HashMap<>(), Bin.In::varLong);
            c.backNodes = map(i, new HashMap<>(), Bin.In::varLong);
        }
        if (version >= V5) {
            c.failoverPlanned = i.u8() != 0;
            c.primaryPatroni = i.str();
        }
        return c;
    }

    // ---- shared parts

    private static void writeRollup(final Bin.Out o, final RollupAcc a) {
        if (o.compact) {
            o.constant(io.replwatch.avro.RollupPeriod.valueOf(a.period));
        } else {
            o.str(a.period);
        }
        o.time(a.start);
        o.time(a.end);
        o.varLong(a.samples);
        o.varLong(a.ok);
        o.varLong(a.walBytes);
        o.optDouble(a.walRateMax);
        o.optLong(a.lagBytesMax);
        o.optLong(a.lagMsMax);
        o.optLong(a.slotMax);
        o.varLong(a.slotCount);
        o.varLong(a.conflicts);
        histogram(o, a.walRate);
        histogram(o, a.lagBytes);
        histogram(o, a.lagMs);
    }

    private static RollupAcc readRollup(final Bin.In i) {
        final RollupAcc a = new RollupAcc();
        if (i.compact) {
            final io.replwatch.avro.RollupPeriod p = i.constant(io.replwatch.avro.RollupPeriod.class);
            if (p == null) {
                throw new SerializationException("a rollup without its period in state");
            }
            a.period = p.name();
        } else {
            a.period = i.str();
        }
        a.start = i.time();
        a.end = i.time();
        a.samples = i.varLong();
        a.ok = i.varLong();
        a.walBytes = i.varLong();
        a.walRateMax = i.optDouble();
        a.lagBytesMax = i.optLong();
        a.lagMsMax = i.optLong();
        a.slotMax = i.optLong();
        a.slotCount = i.varInt();
        a.conflicts = i.varLong();
        a.walRate = histogram(i);
        a.lagBytes = histogram(i);
        a.lagMs = histogram(i);
        return a;
    }

    private static void histogram(final Bin.Out o, final Map<Integer, Long> h) {
        o.varLong(h.size());
        h.forEach((b, n) -> {
            o.varLong(b);
            o.varLong(n);
        });
    }

    private static Map<Integer, Long> histogram(final Bin.In i) {
        final Map<Integer, Long> h = new TreeMap<>();
        for (int c = i.count(); c > 0; c--) {
            h.put(i.varInt(), i.varLong());
        }
        return h;
    }

    /** A list of number tuples, each written with its length; every tuple must have {@code width} numbers. */
    private static List<long[]> points(final Bin.In i, final int width) {
        final int n = i.count();
        final List<long[]> pts = new ArrayList<>(n);
        for (int c = 0; c < n; c++) {
            final long[] p = new long[i.count()];
            if (p.length != width) {
                throw new SerializationException("state point has " + p.length + " numbers, expected " + width);
            }
            for (int k = 0; k < p.length; k++) {
                p[k] = i.varLong();
            }
            pts.add(p);
        }
        return pts;
    }

    /** A map with string keys, each value written by {@code value}. */
    private static <V> void map(final Bin.Out o, final Map<String, V> m, final BiConsumer<Bin.Out, V> value) {
        o.varLong(m.size());
        m.forEach((k, v) -> {
            o.str(k);
            value.accept(o, v);
        });
    }

    /** Reads a map written by {@link #map(Bin.Out, Map, BiConsumer)} into {@code into}. */
    private static <V, M extends Map<String, V>> M map(final Bin.In i, final M into, final Function<Bin.In, V> value) {
        for (int c = i.count(); c > 0; c--) {
            final String k = i.str();
            into.put(k, value.apply(i));
        }
        return into;
    }
}
