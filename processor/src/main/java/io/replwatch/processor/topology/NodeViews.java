package io.replwatch.processor.topology;

import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SlotRow;
import io.replwatch.avro.StandbyInfo;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.health.SyncStandbyNames;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Lsn;
import java.util.ArrayList;
import java.util.List;

/**
 * Stage: what the rules see. Builds a node's {@link NodeView} from its latest sample, its own state (lag, trend,
 * conflicts, set by the earlier stages) and its cluster's (primary, pg_stat_replication rows, failover, other
 * primaries); and the view of a node whose samples stopped, for the staleness punctuator.
 */
final class NodeViews {

    private final TopologySettings settings;

    NodeViews(final TopologySettings settings) {
        this.settings = settings;
    }

    /** A node is stale after this much wall-clock silence: some of its poll intervals, never under stale_min. */
    long staleAfter(final NodeState ns) {
        final long byInterval = ns.intervalMs == null ? 0 : ns.intervalMs * settings.staleIntervals();
        return Math.max(settings.staleMin().toMillis(), byInterval);
    }

    NodeView of(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs) {
        final boolean ok = Samples.isOk(s);
        final boolean standby = ok && Samples.isStandby(s);
        final boolean primary = ok && Samples.isPrimary(s);
        final String conflict = PrimaryTracker.identityConflict(s, t, cs, staleAfter(ns));
        final NodeView.Builder v = NodeView.builder(s.getCluster(), s.getNode())
                .identityConflict(conflict)
                .clockSkewMs(ns.clockSkewMs)
                .status(s.getStatus())
                .message(s.getMessage())
                .inRecovery(ok ? s.getInRecovery() : ns.inRecovery)
                .standbyListedUpstream(conflict != null ? null : listedUpstream(s, t, ns, cs, ok))
                .conflictsInWindow(StandbyLag.conflictsInWindow(ns))
                .stalledForMs(ns.stalledSince == null ? 0 : t - ns.stalledSince)
                .walSenders(s.getReplicas().size());
        if (standby && s.getStandby() != null) {
            final StandbyInfo st = s.getStandby();
            v.replayPaused(st.getReplayPaused())
                    .receiverStatus(st.getWalReceiver() == null ? null : st.getWalReceiver().getStatus())
                    .timeLagMs(ns.timeLagMs)
                    .replayLagBytes(ns.replayLagBytes)
                    .trend(ns.trend);
        }
        if (s.getSettings() != null) {
            v.maxWalSenders(s.getSettings().getMaxWalSenders()).maxReplicationSlots(s.getSettings().getMaxReplicationSlots());
            if (primary) {
                syncStandbys(s, v);
            }
        }
        if (ok) {
            v.slots(slots(s));
        }
        final List<String> primaries = new ArrayList<>();
        cs.outOfRecovery.forEach((n, seen) -> {
            if (t - seen <= staleAfter(ns)) {
                primaries.add(n);
            }
        });
        primaries.sort(String::compareTo);
        return v.splitBrain(conflict == null && primary && primaries.size() > 1 && primaries.contains(s.getNode()))
                .splitBrainNodes(primaries)
                .failoverActive(primary && s.getNode().equals(cs.failoverTo) && cs.failoverAt != null
                        && t - cs.failoverAt < settings.failoverHold().toMillis())
                .failoverFrom(cs.failoverFrom)
                .build();
    }

    /** A node whose samples stopped {@code silentMs} ago: only staleness and what it was are known. */
    NodeView stale(final NodeState ns, final long silentMs) {
        return NodeView.builder(ns.cluster, ns.node)
                .status(ns.status)
                .message(ns.message)
                .stale(true)
                .staleForMs(silentMs)
                .inRecovery(ns.inRecovery)
                .build();
    }

    /**
     * Whether the primary's pg_stat_replication lists this standby; null when that cannot be known (not a
     * standby, no fresh primary sample, or this node is the primary).
     */
    private Boolean listedUpstream(final ReplicationSample s, final long t, final NodeState ns, final ClusterState cs,
                                   final boolean ok) {
        if (!Boolean.TRUE.equals(ns.inRecovery) || cs.primary == null || cs.primarySampleAt == null
                || t - cs.primarySampleAt > staleAfter(ns) || s.getNode().equals(cs.primary)) {
            return null;
        }
        return StandbyLag.replicaOf(s, cs) != null
                || (!ok && cs.replicas.stream().anyMatch(r -> s.getNode().equals(r.applicationName())));
    }

    /** How many standbys named in synchronous_standby_names are not streaming (commits wait for them). */
    private static void syncStandbys(final ReplicationSample s, final NodeView.Builder v) {
        final String names = s.getSettings().getSynchronousStandbyNames();
        v.syncStandbyNames(names);
        final SyncStandbyNames parsed = SyncStandbyNames.parse(names);
        if (parsed != null) {
            final List<String> streaming = new ArrayList<>();
            for (final ReplicaRow r : s.getReplicas()) {
                if ("streaming".equals(r.getState()) && r.getApplicationName() != null) {
                    streaming.add(r.getApplicationName());
                }
            }
            v.syncMissing(parsed.missing(streaming));
        }
    }

    private static List<NodeView.SlotView> slots(final ReplicationSample s) {
        final List<NodeView.SlotView> slots = new ArrayList<>(s.getSlots().size());
        for (final SlotRow slot : s.getSlots()) {
            final Long retained = s.getWalLsn() == null ? null : Lsn.bytesBehindOrNull(s.getWalLsn(), slot.getRestartLsn());
            slots.add(new NodeView.SlotView(slot.getSlotName(), slot.getActive(), Boolean.TRUE.equals(slot.getTemporary()),
                    retained, slot.getWalStatus(), slot.getSafeWalSize()));
        }
        return slots;
    }
}
