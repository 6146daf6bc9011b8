package io.replwatch.processor.topology;

import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthReason;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SlotRow;
import io.replwatch.avro.StandbyInfo;
import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.health.Finding;
import io.replwatch.processor.health.HealthEvaluator;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.health.SyncStandbyNames;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.rollup.RollupAcc;
import io.replwatch.processor.rollup.Rollups;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of replwatch: one stateful processor per stream task, fed every sample of the clusters whose
 * partition the task owns (samples are keyed by cluster, so a primary and its standbys meet here without a
 * repartition). For each sample it updates the node's and the cluster's state, emits WAL throughput when a window
 * closes, a LagRate for a standby, and a HealthTransition whenever the node's state or set of firing rules
 * changes. A wall-clock punctuator notices nodes whose samples stopped (stream time does not move on an idle
 * partition). Undecodable records go to the dead-letter topic with their reason, and processing continues.
 */
final class ReplicationProcessor implements Processor<byte[], byte[], Object, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicationProcessor.class);

    private final TopologySettings settings;
    private final Deserializer<ReplicationSample> deserializer;
    private ProcessorContext<Object, Object> context;
    private KeyValueStore<String, NodeState> nodes;
    private KeyValueStore<String, ClusterState> clusters;
    private KeyValueStore<String, NodeHealth> health;
    private KeyValueStore<String, Long> history;
    /**
     * Deserialized state of the task's nodes and clusters, written through to the stores on every change (so
     * changelogs stay exact under exactly_once_v2) but read from memory: decoding JSON on every sample was the
     * topology's main cost. The maps live and die with the task, so they never outlive a rollback. Every node of
     * the task is in memory (loaded at init), so the staleness check walks memory, not the store.
     */
    private final Map<String, NodeState> nodeCache = new HashMap<>();
    private final Map<String, ClusterState> clusterCache = new HashMap<>();

    ReplicationProcessor(final TopologySettings settings, final Deserializer<ReplicationSample> deserializer) {
        this.settings = settings;
        this.deserializer = deserializer;
    }

    @Override
    public void init(final ProcessorContext<Object, Object> ctx) {
        this.context = ctx;
        this.nodes = ctx.getStateStore(Names.NODE_STATE_STORE);
        this.clusters = ctx.getStateStore(Names.CLUSTER_STATE_STORE);
        this.health = ctx.getStateStore(Names.NODE_HEALTH_STORE);
        this.history = ctx.getStateStore(Names.HISTORY_STORE);
        // Staleness counts wall-clock silence while this processor watches: a node is not stale because the
        // processor itself was down or moved (its samples are waiting in the topic), so the clock restarts now.
        final long now = ctx.currentSystemTimeMs();
        try (KeyValueIterator<String, NodeState> it = nodes.all()) {
            while (it.hasNext()) {
                final KeyValue<String, NodeState> kv = it.next();
                if (kv.value.lastSeenWall != null) {
                    kv.value.lastSeenWall = now;
                }
                nodeCache.put(kv.key, kv.value);
            }
        }
        // Every cluster too, each with its history rebuilt from its points (keys "cluster\0time"): one walk of
        // the history store instead of a prefix scan per cluster.
        final Map<String, java.util.TreeMap<Long, Long>> points = new HashMap<>();
        try (KeyValueIterator<String, Long> it = history.all()) {
            while (it.hasNext()) {
                final KeyValue<String, Long> kv = it.next();
                final int sep = kv.key.lastIndexOf('\u0000');
                points.computeIfAbsent(kv.key.substring(0, sep), c -> new java.util.TreeMap<>())
                        .put(Long.parseLong(kv.key.substring(sep + 1), 16), kv.value);
            }
        }
        try (KeyValueIterator<String, ClusterState> it = clusters.all()) {
            while (it.hasNext()) {
                final KeyValue<String, ClusterState> kv = it.next();
                final ClusterState cs = kv.value;
                cs.history = new io.replwatch.processor.lag.LsnHistory();
                cs.history.timeline = cs.timeline;
                points.getOrDefault(kv.key, new java.util.TreeMap<>()).forEach((time, lsn) -> {
                    cs.history.times.add(time);
                    cs.history.lsns.add(lsn);
                });
                clusterCache.put(kv.key, cs);
            }
        }
        ctx.schedule(settings.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final ReplicationSample s;
        try {
            s = deserializer.deserialize(Topics.SAMPLES, record.value());
            if (s == null) {
                throw new IllegalArgumentException("null value (a tombstone) where a sample was expected");
            }
        } catch (final RuntimeException e) {
            deadLetter(record, e);
            return;
        }
        try {
            processSample(s);
        } catch (final RuntimeException e) {
            // A sample this code cannot handle must not stop the stream for every other cluster.
            LOG.error("{}/{}: processing failed; sample sent to the dead-letter topic", s.getCluster(), s.getNode(), e);
            deadLetter(record, new IllegalStateException("processing failed: " + e, e));
        }
    }

    private void processSample(final ReplicationSample s) {
        final long t = s.getSampledAt().toEpochMilli();
        final long wall = context.currentSystemTimeMs();
        final String key = Names.nodeKey(s.getCluster(), s.getNode());
        // Every node and cluster of the task was loaded at init: one not in memory is new.
        NodeState ns = nodeCache.get(key);
        if (ns == null) {
            ns = new NodeState();
            ns.cluster = s.getCluster();
            ns.node = s.getNode();
            ns.stateSince = t;
            nodeCache.put(key, ns);
        }
        ClusterState cs = clusterCache.get(s.getCluster());
        if (cs == null) {
            cs = new ClusterState();
            clusterCache.put(s.getCluster(), cs);
        }
        boolean clusterChanged = false;
        if (ns.lastSampleAt != null && t > ns.lastSampleAt) {
            final long gap = t - ns.lastSampleAt;
            ns.intervalMs = ns.intervalMs == null ? gap : (ns.intervalMs * 3 + gap) / 4;
        }
        if (ns.lastSampleAt != null && t < ns.lastSampleAt - settings.grace().toMillis()) {
            // Older than anything we could still fold in: keep the state, note it.
            LOG.debug("{}: sample at {} is older than the last one ({}) beyond the grace; ignored", key, t, ns.lastSampleAt);
            return;
        }
        ns.lastSampleAt = Math.max(t, ns.lastSampleAt == null ? t : ns.lastSampleAt);
        ns.lastSeenWall = wall;
        ns.stale = false;
        ns.status = s.getStatus().name();
        ns.message = s.getMessage();
        if (!ns.labels.equals(s.getLabels())) {
            ns.labels = new HashMap<>(s.getLabels());
        }

        final boolean ok = s.getStatus() == PollStatus.OK;
        if (ok) {
            ns.inRecovery = s.getInRecovery();
            ns.timeline = s.getTimeline();
            ns.role = Boolean.TRUE.equals(s.getInRecovery()) ? "STANDBY" : "PRIMARY";
        }
        if (!ok || Boolean.TRUE.equals(s.getInRecovery())) {
            clusterChanged |= cs.outOfRecovery.remove(s.getNode()) != null;
        }
        if (ok && Boolean.FALSE.equals(s.getInRecovery()) && s.getWalLsn() != null) {
            primarySample(s, t, ns, cs);
            clusterChanged = true;
        }
        LagRate lag = null;
        if (ok && Boolean.TRUE.equals(s.getInRecovery()) && s.getStandby() != null) {
            lag = standbySample(s, t, ns, cs);
        }
        final NodeView view = view(s, t, ns, cs);
        evaluate(view, t, ns, wall);
        clusterChanged |= rollups(s, t, ns, cs, lag);
        nodes.put(key, ns);
        if (clusterChanged) {
            clusters.put(s.getCluster(), cs);
        }
        if (lag != null) {
            context.forward(new Record<>(s.getCluster(), lag, t), Names.LAG_RATES_SINK);
        }
    }

    // ---- primary

    private void primarySample(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs) {
        final String node = s.getNode();
        cs.outOfRecovery.put(node, t);
        final Integer tl = s.getTimeline();
        if (cs.primary == null) {
            cs.primary = node;
        } else if (!cs.primary.equals(node)) {
            // A different node out of recovery: a failover when it is on a newer timeline (or the old primary's
            // identity is gone); a second primary on an older timeline is only split brain.
            if (cs.timeline == null || tl == null || tl >= cs.timeline) {
                cs.failoverAt = t;
                cs.failoverFrom = cs.primary;
                cs.failoverTo = node;
                cs.primary = node;
                for (final Long time : cs.history.times) {
                    history.delete(historyKey(s.getCluster(), time));
                }
                cs.history.times.clear();
                cs.history.lsns.clear();
                LOG.info("{}: failover from {} to {} (timeline {})", s.getCluster(), cs.failoverFrom, node, tl);
            }
        } else if (cs.timeline != null && tl != null && tl > cs.timeline) {
            cs.failoverAt = t;
            cs.failoverFrom = node;
            cs.failoverTo = node;
        }
        if (!node.equals(cs.primary)) {
            return;
        }
        cs.timeline = tl;
        cs.systemIdentifier = s.getSystemIdentifier();
        cs.primarySampleAt = t;
        final List<Long> before = new ArrayList<>(cs.history.times);
        cs.history.add(t, s.getWalLsn(), tl, settings.historyRetention().toMillis(), 512);
        persistHistory(s.getCluster(), cs, before);
        cs.replicas = new ArrayList<>();
        for (final ReplicaRow r : s.getReplicas()) {
            final ClusterState.Replica x = new ClusterState.Replica();
            x.pid = r.getPid();
            x.applicationName = r.getApplicationName();
            x.state = r.getState();
            x.sentLsn = r.getSentLsn();
            x.writeLsn = r.getWriteLsn();
            x.flushLsn = r.getFlushLsn();
            x.replayLsn = r.getReplayLsn();
            x.syncState = r.getSyncState();
            cs.replicas.add(x);
        }
        cs.slotActivePids = new HashMap<>();
        for (final SlotRow slot : s.getSlots()) {
            if (slot.getActivePid() != null) {
                cs.slotActivePids.put(slot.getSlotName(), (long) slot.getActivePid());
            }
        }
        walThroughput(s, t, ns);
    }

    private void walThroughput(final ReplicationSample s, final long t, final NodeState ns) {
        final long lsn = s.getWalLsn();
        final Integer tl = s.getTimeline();
        long delta = 0;
        if (ns.walPrevLsn != null && Objects.equals(ns.walPrevTimeline, tl) && Long.compareUnsigned(lsn, ns.walPrevLsn) >= 0) {
            delta = lsn - ns.walPrevLsn;
        }
        // A position going back or a new timeline starts afresh: never a negative rate.
        ns.walPrevLsn = lsn;
        ns.walPrevTimeline = tl;
        for (final Duration size : settings.walWindows()) {
            final long sz = size.toMillis();
            final long start = t - Math.floorMod(t, sz);
            final String k = sz + "@" + start;
            final NodeState.WalWindow w = ns.walWindows.computeIfAbsent(k, x -> {
                final NodeState.WalWindow nw = new NodeState.WalWindow();
                nw.start = start;
                return nw;
            });
            w.bytes += delta;
            w.samples++;
            w.timeline = tl;
        }
        closeWindows(s.getCluster(), ns, t);
    }

    /**
     * Folds the sample into the node's open hour and day; emits the node's closed periods and merges them into the
     * cluster's, and emits the cluster's once its nodes have had time to close theirs. True when the cluster
     * state changed.
     */
    private boolean rollups(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs,
                            final LagRate lag) {
        Rollups.add(ns.rollup, s, t, lag);
        final long grace = settings.grace().toMillis();
        boolean changed = false;
        for (final RollupAcc a : Rollups.closeNode(ns.rollup, t, grace)) {
            context.forward(new Record<>(s.getCluster(), Rollups.record(s.getCluster(), s.getNode(), a), a.end),
                    Names.ROLLUPS_SINK);
            cs.rollups.computeIfAbsent(a.period + "@" + a.start, k -> RollupAcc.open(a.period, a.start, a.end)).merge(a);
            changed = true;
        }
        for (final RollupAcc a : Rollups.closeCluster(cs.rollups, t, grace)) {
            context.forward(new Record<>(s.getCluster(), Rollups.record(s.getCluster(), null, a), a.end),
                    Names.ROLLUPS_SINK);
            changed = true;
        }
        return changed;
    }

    /** Emits and forgets every window whose end plus grace is behind {@code now} (event time). */
    private void closeWindows(final String cluster, final NodeState ns, final long now) {
        final Iterator<Map.Entry<String, NodeState.WalWindow>> it = ns.walWindows.entrySet().iterator();
        while (it.hasNext()) {
            final Map.Entry<String, NodeState.WalWindow> e = it.next();
            final long size = Long.parseLong(e.getKey().substring(0, e.getKey().indexOf('@')));
            final NodeState.WalWindow w = e.getValue();
            final long end = w.start + size;
            if (end + settings.grace().toMillis() <= now) {
                context.forward(new Record<>(cluster, WalThroughput.newBuilder()
                        .setCluster(cluster)
                        .setNode(ns.node)
                        .setWindowStart(Instant.ofEpochMilli(w.start))
                        .setWindowEnd(Instant.ofEpochMilli(end))
                        .setWindowSizeMs(size)
                        .setBytes(w.bytes)
                        .setBytesPerSecond(w.bytes * 1000.0 / size)
                        .setSamples(w.samples)
                        .setTimeline(w.timeline)
                        .build(), end), Names.WAL_THROUGHPUT_SINK);
                it.remove();
            }
        }
    }

    // ---- standby

    private LagRate standbySample(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs) {
        final StandbyInfo st = s.getStandby();
        final long conflicts = st.getConflicts().getTablespace() + st.getConflicts().getLock()
                + st.getConflicts().getSnapshot() + st.getConflicts().getBufferpin() + st.getConflicts().getDeadlock()
                + st.getConflicts().getLogicalslot();
        addConflicts(ns, t, conflicts, settings.conflictsWindow().toMillis());
        if (cs.history.isEmpty() || st.getReplayLsn() == null
                || (cs.systemIdentifier != null && s.getSystemIdentifier() != null
                    && !cs.systemIdentifier.equals(s.getSystemIdentifier()))) {
            ns.replayLagBytes = null;
            ns.timeLagMs = null;
            ns.trend = LagTrend.UNKNOWN.name();
            return null;
        }
        final long replay = st.getReplayLsn();
        final long primaryLsn = cs.history.lsnAt(t);
        final long replayLag = Math.max(0, primaryLsn - replay);
        final Long timeLag = cs.history.timeLag(replay, t);
        addLagPoint(ns, new long[] {t, replay, replayLag, primaryLsn, s.getTimeline() == null ? -1 : s.getTimeline()},
                settings.lagWindow().toMillis());
        final List<Trend.Point> window = new ArrayList<>();
        for (final long[] p : ns.lagPoints) {
            window.add(new Trend.Point(p[0], p[1], p[2], p[3], p[4] < 0 ? null : (int) p[4]));
        }
        // A stall is recognised once replay has stood still, behind a moving primary, for a sixth of the lag
        // window or three polls, whichever is longer (10 s by default), not only after a whole window.
        final long minStall = Math.max(settings.lagWindow().toMillis() / 6, 3 * (ns.intervalMs == null ? 1000 : ns.intervalMs));
        final LagTrend trend = Trend.evaluate(window, minStall);
        // How long replay has stood still: from the first point of the current run of equal positions behind the
        // primary (an idle stretch before it, with nothing to replay, does not count).
        final Long stillSince = Trend.stallStart(window);
        if (trend == LagTrend.STALLED) {
            if (ns.stalledSince == null) {
                ns.stalledSince = stillSince == null ? t : stillSince;
            }
        } else {
            ns.stalledSince = null;
        }
        ns.replayLagBytes = replayLag;
        ns.timeLagMs = timeLag;
        ns.trend = trend.name();
        final Double replayRate = Trend.rate(window, Trend.Point::replayLsn);
        final Double walRate = Trend.rate(window, Trend.Point::primaryLsn);
        final Double lagRate = Trend.rate(window, Trend.Point::lagBytes);
        final ClusterState.Replica row = replicaOf(s, cs);
        final long upstream = cs.history.latestLsn();
        return LagRate.newBuilder()
                .setCluster(s.getCluster())
                .setNode(s.getNode())
                .setUpstream(cs.primary)
                .setAt(Instant.ofEpochMilli(t))
                .setWindowMs(settings.lagWindow().toMillis())
                .setSentLagBytes(row == null || row.sentLsn == null ? null : Math.max(0, upstream - row.sentLsn))
                .setWriteLagBytes(row == null || row.writeLsn == null ? null : Math.max(0, upstream - row.writeLsn))
                .setFlushLagBytes(row == null || row.flushLsn == null ? null : Math.max(0, upstream - row.flushLsn))
                .setReplayLagBytes(replayLag)
                .setReceiveLagBytes(st.getReceiveLsn() == null ? null : Math.max(0, primaryLsn - st.getReceiveLsn()))
                .setTimeLagMs(timeLag)
                .setLagRateBytesPerSec(lagRate)
                .setReplayRateBytesPerSec(replayRate)
                .setWalRateBytesPerSec(walRate)
                .setTrend(trend)
                .setCatchUpEtaMs(Trend.catchUpEtaMs(replayLag, replayRate, walRate))
                .build();
    }

    private static String historyKey(final String cluster, final long time) {
        final String hex = Long.toHexString(time);
        return cluster + '\u0000' + "0000000000000000".substring(hex.length()) + hex;
    }

    /**
     * Writes the points the last add() created (or changed) and deletes the ones it dropped: both lists are in
     * time order, so one merge walk finds them (a primary sample usually appends one point and maybe drops the
     * oldest; thinning or a reset change more).
     */
    private void persistHistory(final String cluster, final ClusterState cs, final List<Long> before) {
        final List<Long> after = cs.history.times;
        int i = 0;
        int j = 0;
        while (i < before.size() || j < after.size()) {
            final long b = i < before.size() ? before.get(i) : Long.MAX_VALUE;
            final long a = j < after.size() ? after.get(j) : Long.MAX_VALUE;
            if (b < a) {
                history.delete(historyKey(cluster, b));
                i++;
            } else if (a < b) {
                history.put(historyKey(cluster, a), cs.history.lsns.get(j));
                j++;
            } else {
                if (j == after.size() - 1) {
                    // The newest point may have moved to a later position at the same time.
                    history.put(historyKey(cluster, a), cs.history.lsns.get(j));
                }
                i++;
                j++;
            }
        }
    }

    /** Appends a lag point, keeping points a tenth of the window apart (the newest always) within the window. */
    static void addLagPoint(final NodeState ns, final long[] point, final long windowMs) {
        final List<long[]> pts = ns.lagPoints;
        final int n = pts.size();
        if (n >= 2 && point[0] - pts.get(n - 2)[0] < windowMs / 10) {
            pts.set(n - 1, point);
        } else {
            pts.add(point);
        }
        while (pts.size() > 2 && point[0] - pts.get(0)[0] > windowMs) {
            pts.remove(0);
        }
    }

    /** Keeps conflict totals only where they changed, plus the last point before the window as its baseline. */
    static void addConflicts(final NodeState ns, final long t, final long total, final long windowMs) {
        final List<long[]> pts = ns.conflictPoints;
        if (pts.isEmpty() || pts.get(pts.size() - 1)[1] != total) {
            pts.add(new long[] {t, total});
        }
        while (pts.size() > 1 && t - pts.get(1)[0] > windowMs) {
            pts.remove(0);
        }
    }

    /**
     * The primary's pg_stat_replication row of this standby: by the application_name in the standby's receiver
     * conninfo, else its cluster_name (the default application_name), else its node name, else through its slot
     * (pg_replication_slots.active_pid is the WAL sender's pid).
     */
    static ClusterState.Replica replicaOf(final ReplicationSample s, final ClusterState cs) {
        final List<String> names = new ArrayList<>();
        final StandbyInfo st = s.getStandby();
        if (st != null && st.getWalReceiver() != null && st.getWalReceiver().getApplicationName() != null) {
            names.add(st.getWalReceiver().getApplicationName());
        }
        if (s.getSettings() != null && s.getSettings().getClusterName() != null) {
            names.add(s.getSettings().getClusterName());
        }
        names.add(s.getNode());
        for (final String n : names) {
            for (final ClusterState.Replica r : cs.replicas) {
                if (n.equals(r.applicationName)) {
                    return r;
                }
            }
        }
        String slot = st != null && st.getWalReceiver() != null ? st.getWalReceiver().getSlotName() : null;
        if (slot == null && s.getSettings() != null) {
            slot = s.getSettings().getPrimarySlotName();
        }
        final Long pid = slot == null ? null : cs.slotActivePids.get(slot);
        if (pid != null) {
            for (final ClusterState.Replica r : cs.replicas) {
                if (r.pid != null && r.pid.longValue() == pid) {
                    return r;
                }
            }
        }
        return null;
    }

    // ---- health

    private long staleAfter(final NodeState ns) {
        final long byInterval = ns.intervalMs == null ? 0 : ns.intervalMs * settings.staleIntervals();
        return Math.max(settings.staleMin().toMillis(), byInterval);
    }

    private NodeView view(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs) {
        final boolean ok = s.getStatus() == PollStatus.OK;
        final boolean standby = ok && Boolean.TRUE.equals(s.getInRecovery());
        final boolean primary = ok && Boolean.FALSE.equals(s.getInRecovery());
        Boolean listed = null;
        if (Boolean.TRUE.equals(ns.inRecovery) && cs.primary != null && cs.primarySampleAt != null
                && t - cs.primarySampleAt <= staleAfter(ns) && !s.getNode().equals(cs.primary)) {
            listed = replicaOf(s, cs) != null || (!ok && replicaListedByName(s.getNode(), cs));
        }
        Integer syncMissing = null;
        String syncNames = null;
        if (primary && s.getSettings() != null) {
            syncNames = s.getSettings().getSynchronousStandbyNames();
            final SyncStandbyNames parsed = SyncStandbyNames.parse(syncNames);
            if (parsed != null) {
                final List<String> streaming = new ArrayList<>();
                for (final ReplicaRow r : s.getReplicas()) {
                    if ("streaming".equals(r.getState()) && r.getApplicationName() != null) {
                        streaming.add(r.getApplicationName());
                    }
                }
                syncMissing = parsed.missing(streaming);
            }
        }
        final List<NodeView.SlotView> slots = new ArrayList<>();
        if (ok) {
            for (final SlotRow slot : s.getSlots()) {
                final Long retained = slot.getRestartLsn() == null || s.getWalLsn() == null ? null
                        : Math.max(0, s.getWalLsn() - slot.getRestartLsn());
                slots.add(new NodeView.SlotView(slot.getSlotName(), slot.getActive(), Boolean.TRUE.equals(slot.getTemporary()),
                        retained, slot.getWalStatus(), slot.getSafeWalSize()));
            }
        }
        long conflicts = 0;
        if (ns.conflictPoints.size() >= 2) {
            // The first point is the baseline at (or before) the window's start.
            conflicts = Math.max(0, ns.conflictPoints.get(ns.conflictPoints.size() - 1)[1] - ns.conflictPoints.get(0)[1]);
        }
        final List<String> primaries = new ArrayList<>();
        cs.outOfRecovery.forEach((n, seen) -> {
            if (t - seen <= staleAfter(ns)) {
                primaries.add(n);
            }
        });
        primaries.sort(String::compareTo);
        final boolean split = primary && primaries.size() > 1 && primaries.contains(s.getNode());
        final boolean failover = primary && s.getNode().equals(cs.failoverTo) && cs.failoverAt != null
                && t - cs.failoverAt < settings.failoverHold().toMillis();
        return new NodeView(s.getCluster(), s.getNode(), s.getStatus(), s.getMessage(), false, 0,
                ok ? s.getInRecovery() : ns.inRecovery,
                standby ? s.getStandby().getReplayPaused() : null,
                standby && s.getStandby().getWalReceiver() != null ? s.getStandby().getWalReceiver().getStatus() : null,
                standby ? ns.timeLagMs : null, standby ? ns.replayLagBytes : null,
                standby && ns.trend != null ? LagTrend.valueOf(ns.trend) : null,
                ns.stalledSince == null ? 0 : t - ns.stalledSince, conflicts, listed, syncMissing, syncNames,
                slots, s.getReplicas().size(),
                s.getSettings() == null ? null : s.getSettings().getMaxWalSenders(),
                s.getSettings() == null ? null : s.getSettings().getMaxReplicationSlots(),
                failover, cs.failoverFrom, split, primaries);
    }

    private static boolean replicaListedByName(final String node, final ClusterState cs) {
        return cs.replicas.stream().anyMatch(r -> node.equals(r.applicationName));
    }

    private void evaluate(final NodeView view, final long t, final NodeState ns, final long wall) {
        final HealthEvaluator.Outcome out = HealthEvaluator.evaluate(view, settings.thresholds(), ns.trackers, t);
        final List<String> rules = out.firing().stream().map(Finding::rule).toList();
        final HealthState from = HealthState.valueOf(ns.state);
        // Rule codes are unique in both lists: same size and one containing the other is set equality.
        final boolean changed = from != out.state() || rules.size() != ns.firingRules.size()
                || !ns.firingRules.containsAll(rules);
        final List<String> cleared = new ArrayList<>(ns.firingRules);
        cleared.removeAll(rules);
        if (from != out.state()) {
            ns.stateSince = t;
        }
        ns.state = out.state().name();
        ns.firingRules = new ArrayList<>(rules);
        final String key = Names.nodeKey(view.cluster(), view.node());
        if (changed) {
            final String id = UUID.nameUUIDFromBytes((key + "|" + t + "|" + from + "|" + out.state() + "|"
                    + String.join(",", rules.stream().sorted().toList())).getBytes(StandardCharsets.UTF_8)).toString();
            context.forward(new Record<>(view.cluster(), HealthTransition.newBuilder()
                    .setId(id)
                    .setCluster(view.cluster())
                    .setNode(view.node())
                    .setFromState(from)
                    .setToState(out.state())
                    .setAt(Instant.ofEpochMilli(t))
                    .setReasons(reasons(out.firing(), ns))
                    .setCleared(cleared)
                    .setRole(ns.role)
                    .setLabels(ns.labels)
                    .build(), t), Names.TRANSITIONS_SINK);
        }
        // The queryable store and the compacted topic follow every transition, and refresh lag figures at least
        // every node_health_every: writing them on every sample would double the topology's cost.
        if (changed || ns.healthEmittedWall == null || wall - ns.healthEmittedWall >= settings.nodeHealthEvery().toMillis()) {
            ns.healthEmittedWall = wall;
            final NodeHealth nh = nodeHealth(ns, t);
            health.put(key, nh);
            context.forward(new Record<>(key, nh, t), Names.NODE_HEALTH_SINK);
        }
    }

    private static List<HealthReason> reasons(final List<Finding> firing, final NodeState ns) {
        final List<HealthReason> out = new ArrayList<>();
        for (final Finding f : firing) {
            final var tracker = ns.trackers.get(f.rule());
            out.add(HealthReason.newBuilder()
                    .setRule(f.rule())
                    .setSeverity(f.severity())
                    .setMessage(f.message())
                    .setValue(f.value())
                    .setThreshold(f.threshold())
                    .setUnit(f.unit())
                    .setSince(tracker == null || tracker.pendingSince == null && tracker.firedAt == null ? null
                            : Instant.ofEpochMilli(tracker.firedAt != null ? tracker.firedAt : tracker.pendingSince))
                    .build());
        }
        return out;
    }

    /** The firing findings, from the trackers (in rule order). */
    private static List<Finding> currentFindings(final NodeState ns) {
        final List<Finding> out = new ArrayList<>();
        for (final io.replwatch.processor.health.Rules.Rule r : io.replwatch.processor.health.Rules.ALL) {
            final var tr = ns.trackers.get(r.code());
            if (tr != null && tr.firing && tr.current != null) {
                out.add(tr.current);
            }
        }
        return out;
    }

    private static NodeHealth nodeHealth(final NodeState ns, final long t) {
        return NodeHealth.newBuilder()
                .setCluster(ns.cluster)
                .setNode(ns.node)
                .setRole(ns.role)
                .setState(HealthState.valueOf(ns.state))
                .setSince(Instant.ofEpochMilli(ns.stateSince == null ? t : ns.stateSince))
                .setUpdatedAt(Instant.ofEpochMilli(t))
                .setLastSampleAt(ns.lastSampleAt == null ? null : Instant.ofEpochMilli(ns.lastSampleAt))
                .setReasons(reasons(currentFindings(ns), ns))
                .setReplayLagBytes(ns.replayLagBytes)
                .setTimeLagMs(ns.timeLagMs)
                .setTrend(ns.trend == null ? null : LagTrend.valueOf(ns.trend))
                .setTimeline(ns.timeline)
                .setLabels(ns.labels)
                .build();
    }

    // ---- wall clock

    /** Marks nodes whose samples stopped arriving (wall clock), and closes WAL windows of silent primaries. */
    private void punctuate(final long wall) {
        final List<KeyValue<String, NodeState>> changed = new ArrayList<>();
        for (final Map.Entry<String, NodeState> e : nodeCache.entrySet()) {
            final NodeState ns = e.getValue();
            if (ns.lastSeenWall == null || ns.stale) {
                continue;
            }
            final long silent = wall - ns.lastSeenWall;
            if (silent > staleAfter(ns)) {
                ns.stale = true;
                // Event time advanced by the silence, so that trackers and transitions move on too.
                final long t = ns.lastSampleAt + silent;
                final NodeView view = new NodeView(ns.cluster, ns.node, PollStatus.valueOf(ns.status), ns.message,
                        true, silent, ns.inRecovery, null, null, null, null, null, 0, 0, null, null, null,
                        List.of(), 0, null, null, false, null, false, List.of());
                evaluate(view, t, ns, wall);
                closeWindows(ns.cluster, ns, t);
                changed.add(KeyValue.pair(e.getKey(), ns));
            }
        }
        for (final KeyValue<String, NodeState> kv : changed) {
            nodes.put(kv.key, kv.value);
        }
    }

    private void deadLetter(final Record<byte[], byte[]> record, final RuntimeException e) {
        LOG.warn("Undecodable record on {} sent to the dead-letter topic: {}", Topics.SAMPLES, e.getMessage());
        final Map<String, String> headers = new HashMap<>();
        record.headers().forEach(h -> headers.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8)));
        final var meta = context.recordMetadata();
        context.forward(new Record<>(record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
                DeadLetter.newBuilder()
                        .setStage("processor")
                        .setReason(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                        .setErrorClass(e.getClass().getName())
                        .setFailedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                        .setSourceTopic(meta.map(m -> m.topic()).orElse(Topics.SAMPLES))
                        .setSourcePartition(meta.map(m -> m.partition()).orElse(null))
                        .setSourceOffset(meta.map(m -> m.offset()).orElse(null))
                        .setKey(record.key() == null ? null : java.nio.ByteBuffer.wrap(record.key()))
                        .setValue(record.value() == null ? null : java.nio.ByteBuffer.wrap(record.value()))
                        .setHeaders(headers)
                        .build(), record.timestamp()), Names.DEAD_LETTER_SINK);
    }
}
