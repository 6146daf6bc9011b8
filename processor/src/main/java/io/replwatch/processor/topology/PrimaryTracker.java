package io.replwatch.processor.topology;

import io.replwatch.avro.ReplicaRow;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SlotRow;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.ClusterState;
import io.replwatch.processor.state.NodeState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage: which node of a cluster is the primary. Keeps the set of nodes seen out of recovery (split brain),
 * recognises a failover (another node out of recovery on a newer timeline, or a timeline bump on the same node),
 * and for the current primary records its identity, its pg_stat_replication rows, its active slots and a new
 * point of its (time, LSN) history, persisted through {@link HistoryStore}.
 */
final class PrimaryTracker {

    private static final Logger LOG = LoggerFactory.getLogger(PrimaryTracker.class);
    /** The most history points kept per primary; older halves are thinned beyond it. */
    static final int MAX_HISTORY_POINTS = 512;

    private final TopologySettings settings;
    private final HistoryStore history;

    PrimaryTracker(final TopologySettings settings, final HistoryStore history) {
        this.settings = settings;
        this.history = history;
    }

    /**
     * Folds one sample of the cluster into its state. Returns whether the cluster's state changed (it must then be
     * saved); {@link #isPrimarySample} says whether the sample came from the current primary.
     */
    boolean onSample(final ReplicationSample s, final long t, final ClusterState cs, final long freshMs,
                     final NodeState ns) {
        final boolean changed = track(s, t, cs, freshMs);
        if (isPrimarySample(s, cs)) {
            ns.primaryView = ClusterState.PrimaryView.of(cs);
        } else if (!s.getNode().equals(cs.primary)) {
            ns.primaryView = null;
        }
        return changed;
    }

    private boolean track(final ReplicationSample s, final long t, final ClusterState cs, final long freshMs) {
        boolean patroniChanged = false;
        if (s.getNode().equals(cs.primary)) {
            final String self = PatroniViews.selfSummary(s);
            patroniChanged = !java.util.Objects.equals(self, cs.primaryPatroni);
            cs.primaryPatroni = self;
        }
        if (!Samples.isOk(s) || Samples.isStandby(s)) {
            // Not (or no longer known to be) out of recovery.
            return cs.outOfRecovery.remove(s.getNode()) != null || patroniChanged;
        }
        if (!Samples.isPrimary(s) || s.getWalLsn() == null) {
            return false;
        }
        if (identityConflict(s, t, cs, freshMs) != null) {
            // Another database system under this cluster's name (two collectors, one name): neither a failover nor
            // a second primary of this cluster. CLUSTER_IDENTITY_CONFLICT says so on the node.
            return cs.outOfRecovery.remove(s.getNode()) != null || patroniChanged;
        }
        final String node = s.getNode();
        // What a primary sample changes every time is kept in the primary's node state too (PrimaryView): the
        // cluster's record is written only when something else changed.
        boolean material = cs.outOfRecovery.put(node, t) == null || patroniChanged;
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
                cs.failoverPlanned = PatroniViews.plannedPromotion(s, cs.primary, cs.primaryPatroni);
                cs.primary = node;
                cs.primaryPatroni = PatroniViews.selfSummary(s);
                history.clear(s.getCluster(), cs.history);
                cs.history.times.clear();
                cs.history.lsns.clear();
                material = true;
                LOG.info("{}: {} from {} to {} (timeline {})", s.getCluster(), cs.failoverPlanned ? "switchover" : "failover",
                        cs.failoverFrom, node, tl);
            }
        } else if (cs.timeline != null && tl != null && tl > cs.timeline) {
            cs.failoverAt = t;
            cs.failoverFrom = node;
            cs.failoverTo = node;
            cs.failoverPlanned = false;
            material = true;
        }
        if (!node.equals(cs.primary)) {
            return true;
        }
        material |= cs.primarySampleAt == null || !java.util.Objects.equals(cs.timeline, tl)
                || !java.util.Objects.equals(cs.systemIdentifier, s.getSystemIdentifier());
        cs.timeline = tl;
        cs.systemIdentifier = s.getSystemIdentifier();
        cs.primarySampleAt = t;
        cs.history.add(t, s.getWalLsn(), tl, settings.historyRetention().toMillis(), MAX_HISTORY_POINTS);
        history.persist(s.getCluster(), cs.history);
        cs.replicas = new ArrayList<>(s.getReplicas().size());
        for (final ReplicaRow r : s.getReplicas()) {
            cs.replicas.add(new ClusterState.Replica(r.getPid(), r.getApplicationName(), r.getState(), r.getSentLsn(),
                    r.getWriteLsn(), r.getFlushLsn(), r.getReplayLsn(), r.getSyncState()));
        }
        cs.slotActivePids = new HashMap<>();
        for (final SlotRow slot : s.getSlots()) {
            if (slot.getActivePid() != null) {
                cs.slotActivePids.put(slot.getSlotName(), (long) slot.getActivePid());
            }
        }
        return material;
    }

    /**
     * Null unless {@code s} comes from another database system than the cluster's primary, which was seen within
     * {@code freshMs}: then why, for the rule. (A primary silent longer than that may have been rebuilt with a new
     * identity; the new one is then taken as the cluster's.)
     */
    static String identityConflict(final ReplicationSample s, final long t, final ClusterState cs, final long freshMs) {
        if (!Samples.isOk(s) || cs.primary == null || s.getNode().equals(cs.primary) || cs.systemIdentifier == null
                || s.getSystemIdentifier() == null || cs.systemIdentifier.equals(s.getSystemIdentifier())
                || cs.primarySampleAt == null || t - cs.primarySampleAt > freshMs) {
            return null;
        }
        return "system identifier " + Long.toUnsignedString(s.getSystemIdentifier()) + " is not the cluster's ("
                + Long.toUnsignedString(cs.systemIdentifier) + ", primary " + cs.primary + "): two database systems are "
                + "configured under the cluster name '" + s.getCluster() + "'";
    }

    /** Whether {@code s} is a sample of the cluster's current primary (after {@link #onSample}). */
    static boolean isPrimarySample(final ReplicationSample s, final ClusterState cs) {
        return Samples.isOk(s) && Samples.isPrimary(s) && s.getWalLsn() != null && s.getNode().equals(cs.primary);
    }
}
