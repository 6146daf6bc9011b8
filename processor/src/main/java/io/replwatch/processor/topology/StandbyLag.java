package io.replwatch.processor.topology;

import io.replwatch.avro.LagRate;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.RecoveryConflicts;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.StandbyInfo;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Lsn;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Stage: a standby's lag against its cluster's primary. From a standby sample and the primary's (time, LSN)
 * history it computes the replay lag in bytes, the true time lag, the window of lag points behind the trend
 * (Burrow's rules, {@link Trend}), how long replay has stood still, and the recovery conflicts in their window;
 * it leaves them in the node's state for the rules and returns the {@link LagRate} to publish.
 */
final class StandbyLag {

    private final TopologySettings settings;

    StandbyLag(final TopologySettings settings) {
        this.settings = settings;
    }

    /** Null unless {@code s} is a successful standby sample; without a usable primary history the lag is unknown. */
    LagRate onSample(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs) {
        if (!Samples.isOk(s) || !Samples.isStandby(s) || s.getStandby() == null) {
            return null;
        }
        final StandbyInfo st = s.getStandby();
        addConflicts(ns, t, totalConflicts(st.getConflicts()), settings.conflictsWindow().toMillis());
        if (cs.history.isEmpty() || st.getReplayLsn() == null
                || (cs.systemIdentifier != null && s.getSystemIdentifier() != null
                    && !cs.systemIdentifier.equals(s.getSystemIdentifier()))) {
            // No primary seen yet, nothing replayed, or a primary of another database system: lag is unknown.
            ns.replayLagBytes = null;
            ns.timeLagMs = null;
            ns.trend = LagTrend.UNKNOWN;
            return null;
        }
        final long replay = st.getReplayLsn();
        final long primaryLsn = cs.history.lsnAt(t);
        final long replayLag = Lsn.bytesBehind(primaryLsn, replay);
        final Long timeLag = cs.history.timeLag(replay, t);
        addLagPoint(ns, new Trend.Point(t, replay, replayLag, primaryLsn, s.getTimeline()), settings.lagWindow().toMillis());
        final List<Trend.Point> window = ns.lagPoints;
        // A stall is recognised once replay has stood still, behind a moving primary, for a sixth of the lag
        // window or three polls, whichever is longer (10 s by default), not only after a whole window.
        final long minStall = minStallMs(settings, ns);
        final LagTrend trend = Trend.evaluate(window, minStall);
        if (trend == LagTrend.STALLED) {
            if (ns.stalledSince == null) {
                // Timed from the first point of the current run of equal positions behind the primary (an idle
                // stretch before it, with nothing to replay, does not count).
                final Long stillSince = Trend.stallStart(window);
                ns.stalledSince = stillSince == null ? t : stillSince;
            }
        } else {
            ns.stalledSince = null;
        }
        ns.replayLagBytes = replayLag;
        ns.timeLagMs = timeLag;
        ns.trend = trend;
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
                .setSentLagBytes(row == null ? null : Lsn.bytesBehindOrNull(upstream, row.sentLsn()))
                .setWriteLagBytes(row == null ? null : Lsn.bytesBehindOrNull(upstream, row.writeLsn()))
                .setFlushLagBytes(row == null ? null : Lsn.bytesBehindOrNull(upstream, row.flushLsn()))
                .setReplayLagBytes(replayLag)
                .setReceiveLagBytes(Lsn.bytesBehindOrNull(primaryLsn, st.getReceiveLsn()))
                .setTimeLagMs(timeLag)
                .setLagRateBytesPerSec(lagRate)
                .setReplayRateBytesPerSec(replayRate)
                .setWalRateBytesPerSec(walRate)
                .setTrend(trend)
                .setCatchUpEtaMs(Trend.catchUpEtaMs(replayLag, replayRate, walRate))
                // The window's fields, set (to their defaults) rather than left to build(), which looks each
                // unset field's default up: a record is built for every standby sample.
                .setSlot(null).setConsumer(null).setConsumerAddr(null).setWindowStart(null).setSamples(null)
                .setMinReplayLagBytes(null).setMaxReplayLagBytes(null).setMaxTimeLagMs(null)
                .build();
    }

    /** A sixth of the lag window or three polls, whichever is longer: how long a stall must last to be one. */
    static long minStallMs(final TopologySettings settings, final NodeState ns) {
        return Math.max(settings.lagWindow().toMillis() / 6, 3 * (ns.intervalMs == null ? 1000 : ns.intervalMs));
    }

    static long totalConflicts(final RecoveryConflicts c) {
        return c.getTablespace() + c.getLock() + c.getSnapshot() + c.getBufferpin() + c.getDeadlock() + c.getLogicalslot();
    }

    /** Appends a lag point, keeping points a tenth of the window apart (the newest always) within the window. */
    static void addLagPoint(final NodeState ns, final Trend.Point point, final long windowMs) {
        addPoint(ns.lagPoints, point, windowMs);
    }

    /** {@link #addLagPoint} on any window of points (a logical slot's). */
    static void addPoint(final List<Trend.Point> pts, final Trend.Point point, final long windowMs) {
        final int n = pts.size();
        if (n >= 2 && point.time() - pts.get(n - 2).time() < windowMs / 10) {
            pts.set(n - 1, point);
        } else {
            pts.add(point);
        }
        while (pts.size() > 2 && point.time() - pts.get(0).time() > windowMs) {
            pts.remove(0);
        }
    }

    /** Keeps conflict totals only where they changed, plus the last point before the window as its baseline. */
    static void addConflicts(final NodeState ns, final long t, final long total, final long windowMs) {
        addCount(ns.conflictPoints, t, total, windowMs);
    }

    /**
     * A cumulative counter's window (conflicts, a subscription's errors, a slot's spilled bytes): its total kept only
     * where it changed, plus the last point before the window as its baseline; a total lower than the last (the
     * counters were reset) starts the window over.
     */
    static void addCount(final List<NodeState.ConflictPoint> pts, final long t, final long total, final long windowMs) {
        if (!pts.isEmpty() && total < pts.get(pts.size() - 1).total()) {
            pts.clear();
        }
        if (pts.isEmpty() || pts.get(pts.size() - 1).total() != total) {
            pts.add(new NodeState.ConflictPoint(t, total));
        }
        while (pts.size() > 1 && t - pts.get(1).at() > windowMs) {
            pts.remove(0);
        }
    }

    /** Recovery conflicts within the window: the newest total minus the baseline at (or before) its start. */
    static long conflictsInWindow(final NodeState ns) {
        return countInWindow(ns.conflictPoints);
    }

    /** How much a counter kept by {@link #addCount} rose within its window; 0 without one. */
    static long countInWindow(final List<NodeState.ConflictPoint> pts) {
        return pts == null || pts.size() < 2 ? 0 : Math.max(0, pts.get(pts.size() - 1).total() - pts.get(0).total());
    }

    /**
     * The primary's pg_stat_replication row of this standby: by the application_name in the standby's receiver
     * conninfo, else its cluster_name (the default application_name), else its node name, else through its slot
     * (pg_replication_slots.active_pid is the WAL sender's pid).
     */
    static ClusterState.Replica replicaOf(final ReplicationSample s, final ClusterState cs) {
        final List<String> names = new ArrayList<>(3);
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
                if (n.equals(r.applicationName())) {
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
                if (r.pid() != null && r.pid().longValue() == pid) {
                    return r;
                }
            }
        }
        return null;
    }
}
