package io.replwatch.processor.topology;

import io.replwatch.avro.CheckpointerStats;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.ReplicationSettings;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage, after the intake: what a node's sample says beyond the streaming link, remembered for the rules. Its
 * checkpoint totals over the checkpoint window; a standby rejoining after DOWN (until its WAL receiver streams or
 * its grace ends); and, from the primary, the settings its standbys are held to.
 */
final class ServerActivity {

    /** Checkpoints are judged over this window (CHECKPOINTS_FORCED). */
    static final long CHECKPOINT_WINDOW_MS = 30 * 60_000L;
    /** How long a standby back from DOWN may take to stream again before the receiver rules judge it. */
    static final long REJOIN_GRACE_MS = 30_000L;
    /** How long a standby may take to reconnect to an upstream that came back before its receiver rules judge it. */
    static final long RECONNECT_GRACE_MS = 15_000L;

    /** The settings a standby must hold at least as high as its primary (hot standby refuses or pauses otherwise). */
    static final List<String> DRIFT_SETTINGS = List.of("max_connections", "max_worker_processes", "max_wal_senders",
            "max_prepared_transactions", "max_locks_per_transaction");
    static final String ARCHIVE_TIMEOUT = "archive_timeout_s";
    static final String WAL_KEEP_SIZE_MB = "wal_keep_size_mb";

    private ServerActivity() {
    }

    /** Updates {@code ns} (and, for the primary's sample, {@code cs}); true when {@code cs} changed. */
    static boolean onSample(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs,
                            final boolean primarySample) {
        checkpoints(s.getCheckpointer(), t, ns);
        rejoin(s, t, ns);
        final boolean downstream = Samples.isOk(s) && downstreams(s, cs);
        final boolean settings = primarySample && s.getSettings() != null && primarySettings(s.getSettings(), cs);
        return downstream || settings;
    }

    /**
     * Records who streams from this node (its pg_stat_replication's application names). Names are added, never
     * dropped because they are missing for a while: a restarted upstream lists its cascading standbys only once they
     * have reconnected, which is exactly when they must still be known as its own. A name leaves a node's list when
     * another node lists it (the standby was pointed elsewhere). True when anything changed.
     */
    static boolean downstreams(final ReplicationSample s, final ClusterState cs) {
        if (s.getReplicas().isEmpty()) {
            return false; // most standbys: nothing allocated per sample
        }
        final java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (final var r : s.getReplicas()) {
            if (r.getApplicationName() != null) {
                names.add(r.getApplicationName());
            }
        }
        if (names.isEmpty()) {
            return false;
        }
        boolean changed = false;
        for (final Map.Entry<String, List<String>> e : cs.downstreams.entrySet()) {
            if (!e.getKey().equals(s.getNode()) && e.getValue().stream().anyMatch(names::contains)) {
                final List<String> kept = e.getValue().stream().filter(n -> !names.contains(n)).toList();
                e.setValue(new java.util.ArrayList<>(kept));
                changed = true;
            }
        }
        cs.downstreams.values().removeIf(List::isEmpty);
        final List<String> before = cs.downstreams.getOrDefault(s.getNode(), List.of());
        names.addAll(before);
        if (names.size() == before.size()) {
            return changed;
        }
        cs.downstreams.put(s.getNode(), new java.util.ArrayList<>(names));
        return true;
    }

    /** Keeps the cluster's set of DOWN nodes in step with this node's health; true when it changed. */
    static boolean onHealth(final String node, final HealthState state, final long t, final ClusterState cs) {
        boolean changed = cs.backNodes.values().removeIf(since -> t - since >= REJOIN_GRACE_MS);
        if (state == HealthState.DOWN) {
            changed |= cs.backNodes.remove(node) != null;
            return cs.downNodes.putIfAbsent(node, t) == null || changed;
        }
        if (cs.downNodes.remove(node) != null) {
            cs.backNodes.put(node, t);
            return true;
        }
        return changed;
    }

    /**
     * Whether a standby whose link is down is given the benefit of the doubt, its receiver rules waiting:
     * <ul>
     * <li>its link just dropped and its upstream (the primary or a cascading standby) may be going DOWN: the
     * collector's sample saying so can arrive after this standby's (both are polled in the same round). For one and a
     * half poll intervals (at least 2 s) it waits for the upstream's verdict, unless the primary, its upstream, has
     * answered since;</li>
     * <li>its upstream came back less than {@link #RECONNECT_GRACE_MS} ago: the WAL receiver retries every
     * {@code wal_retrieve_retry_interval} (5 s by default), so the standby goes from UPSTREAM_DOWN to HEALTHY with
     * its upstream instead of paging on its own once the upstream's page has resolved.</li>
     * </ul>
     */
    static boolean awaitingUpstream(final ReplicationSample s, final NodeState ns, final ClusterState cs, final long t) {
        if (ns.receiverDownSince == null) {
            return false;
        }
        final String upstream = upstreamOf(s, cs);
        if (upstream == null) {
            return false;
        }
        final long grace = Math.max(2_000, ns.intervalMs == null ? 0 : ns.intervalMs * 3 / 2);
        // The primary's verdict is in once it has answered since the link dropped: then the link is this standby's
        // own problem, and RECEIVER_DISCONNECTED need not wait (a cut link is named within a poll or two).
        final Long answered = cs.outOfRecovery.get(upstream);
        final boolean verdictIn = upstream.equals(cs.primary) && answered != null && answered >= ns.receiverDownSince;
        final Long back = cs.backNodes.get(upstream);
        return !verdictIn && t - ns.receiverDownSince < grace || back != null && t - back < RECONNECT_GRACE_MS;
    }

    /**
     * The node whose pg_stat_replication last listed this standby (by node name or cluster_name, which the sandbox
     * and most setups use as application_name): the primary, or the standby it cascades from; null when unknown.
     */
    static String upstreamOf(final ReplicationSample s, final ClusterState cs) {
        final String name = s.getNode();
        final String clusterName = s.getSettings() == null ? null : s.getSettings().getClusterName();
        String found = null;
        for (final Map.Entry<String, List<String>> e : cs.downstreams.entrySet()) {
            final String upstream = e.getKey();
            if (!upstream.equals(name)
                    && (e.getValue().contains(name) || clusterName != null && e.getValue().contains(clusterName))) {
                if (!upstream.equals(cs.primary)) {
                    return upstream; // a cascade is the more specific answer
                }
                found = upstream;
            }
        }
        return found;
    }

    /**
     * The node a standby streams from (the primary, or the standby it cascades from) when that node is DOWN, or
     * null. Once the upstream is back the standby is {@linkplain #awaitingUpstream awaiting} its reconnection.
     */
    static String upstreamDown(final ReplicationSample s, final ClusterState cs) {
        final String upstream = upstreamOf(s, cs);
        return upstream != null && cs.downNodes.containsKey(upstream) ? upstream : null;
    }

    /** Keeps checkpoint totals only where they changed, plus a baseline before the window; a reset starts over. */
    static void checkpoints(final CheckpointerStats c, final long t, final NodeState ns) {
        if (c == null) {
            return;
        }
        final List<NodeState.CheckpointPoint> pts = ns.checkpointPoints;
        final NodeState.CheckpointPoint last = pts.isEmpty() ? null : pts.get(pts.size() - 1);
        if (last != null && (c.getTimed() < last.timed() || c.getRequested() < last.requested())) {
            pts.clear(); // counters reset (pg_stat_reset_shared, or a crash)
        }
        if (pts.isEmpty() || last == null || last.timed() != c.getTimed() || last.requested() != c.getRequested()) {
            pts.add(new NodeState.CheckpointPoint(t, c.getTimed(), c.getRequested()));
        }
        while (pts.size() > 1 && t - pts.get(1).at() > CHECKPOINT_WINDOW_MS) {
            pts.remove(0);
        }
    }

    /** Timed and requested checkpoints within the window: newest totals minus the baseline. */
    static long[] checkpointsInWindow(final NodeState ns) {
        final List<NodeState.CheckpointPoint> pts = ns.checkpointPoints;
        if (pts.size() < 2) {
            return new long[] {0, 0};
        }
        final NodeState.CheckpointPoint a = pts.get(0);
        final NodeState.CheckpointPoint b = pts.get(pts.size() - 1);
        return new long[] {b.timed() - a.timed(), b.requested() - a.requested()};
    }

    /**
     * A standby that was DOWN and answers again, with its WAL receiver not streaming yet, is rejoining from its
     * first such sample; streaming (or any sample that is not from a reachable standby) ends it. A primary that was
     * DOWN and answers again is rejoining until its synchronous standbys stream ({@link #primaryRejoining}).
     */
    static void rejoin(final ReplicationSample s, final long t, final NodeState ns) {
        final boolean ok = Samples.isOk(s);
        final boolean standby = ok && Samples.isStandby(s);
        final boolean primary = ok && Samples.isPrimary(s);
        final boolean streaming = standby && s.getStandby() != null && s.getStandby().getWalReceiver() != null
                && "streaming".equals(s.getStandby().getWalReceiver().getStatus());
        if (!(standby || primary) || streaming) {
            ns.rejoinSince = null;
        } else if (ns.rejoinSince == null && (ns.state == HealthState.DOWN
                || ns.firingRules.contains(io.replwatch.processor.health.Rules.NODE_UNREACHABLE))) {
            ns.rejoinSince = t;
        }
        if (standby && !streaming) {
            if (ns.receiverDownSince == null) {
                ns.receiverDownSince = t;
            }
        } else if (standby) {
            ns.receiverDownSince = null;
        }
    }

    /**
     * Whether a primary back from DOWN still waits for {@code syncMissing} synchronous standbys to reconnect (for up
     * to {@link #RECONNECT_GRACE_MS}): it stays DOWN meanwhile, since its commits wait, and goes straight to HEALTHY
     * when they stream, instead of a SYNC_STANDBY_MISSING held for its clear_for. None missing ends the rejoin.
     */
    static boolean primaryRejoining(final NodeState ns, final long t, final int syncMissing) {
        if (syncMissing <= 0) {
            ns.rejoinSince = null;
            return false;
        }
        return ns.rejoinSince != null && t - ns.rejoinSince < RECONNECT_GRACE_MS;
    }

    static boolean rejoining(final NodeState ns, final long t) {
        return ns.rejoinSince != null && t - ns.rejoinSince < REJOIN_GRACE_MS;
    }

    private static boolean primarySettings(final ReplicationSettings st, final ClusterState cs) {
        final Map<String, Long> m = driftSettings(st);
        put(m, ARCHIVE_TIMEOUT, st.getArchiveTimeoutS());
        if (st.getWalKeepSizeMb() != null) {
            m.put(WAL_KEEP_SIZE_MB, st.getWalKeepSizeMb());
        }
        if (m.equals(cs.primarySettings)) {
            return false;
        }
        cs.primarySettings = m;
        return true;
    }

    private static void put(final Map<String, Long> m, final String name, final Integer value) {
        if (value != null) {
            m.put(name, value.longValue());
        }
    }

    /** The settings of a standby's sample by the names of {@link #DRIFT_SETTINGS}. */
    static Map<String, Long> driftSettings(final ReplicationSettings st) {
        final Map<String, Long> m = new HashMap<>();
        put(m, "max_connections", st.getMaxConnections());
        put(m, "max_worker_processes", st.getMaxWorkerProcesses());
        put(m, "max_wal_senders", st.getMaxWalSenders());
        put(m, "max_prepared_transactions", st.getMaxPreparedTransactions());
        put(m, "max_locks_per_transaction", st.getMaxLocksPerTransaction());
        return m;
    }
}
