package io.replwatch.processor.state;

import io.replwatch.processor.lag.LsnHistory;
import io.replwatch.processor.rollup.RollupAcc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the processor remembers about one cluster (the cluster-state store, key = cluster, in
 * {@link StateCodec}'s binary layout). Mutable, owned by the stream thread of the cluster's partition.
 */
public final class ClusterState {

    /** The node currently believed primary, its identity and timeline. */
    public String primary;
    public Long systemIdentifier;
    public Integer timeline;
    public Long primarySampleAt;

    /**
     * The primary's (time, LSN) history, for true time lag and WAL rates. Not part of this record's encoding: its
     * points live one per key in the primary-history store, so a new point costs one small write.
     */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public LsnHistory history = new LsnHistory();

    /** The primary's last pg_stat_replication rows. */
    public List<Replica> replicas = new ArrayList<>();
    /** The primary's slots with an active WAL sender: slot name to the sender's pid. */
    public Map<String, Long> slotActivePids = new HashMap<>();

    /** Nodes seen out of recovery, with the time last seen so (split brain: more than one, recently). */
    public Map<String, Long> outOfRecovery = new HashMap<>();

    /** Capacity rollups of the whole cluster: closed node periods merged, waiting for the rest of its nodes. */
    public Map<String, RollupAcc> rollups = new HashMap<>();

    /**
     * The primary's settings its standbys are compared with (SETTINGS_DRIFT), and its archive_timeout (how far an
     * archive-fed standby is behind by design): name to value, from the primary's last sample that carried them.
     */
    public Map<String, Long> primarySettings = new HashMap<>();

    /**
     * Every node's downstream standbys (the application names its pg_stat_replication listed last time it answered):
     * who streams from whom, so that a cascading standby whose upstream is DOWN is told apart from one whose link
     * broke. Kept while a node is down: that is when it is needed.
     */
    public Map<String, List<String>> downstreams = new HashMap<>();
    /** Nodes whose health is DOWN, with the time they went down. */
    public Map<String, Long> downNodes = new HashMap<>();
    /** Nodes back from DOWN, with the time they came back (kept for the rejoin grace of their downstreams). */
    public Map<String, Long> backNodes = new HashMap<>();

    /** The last failover: when, from which node, to which. */
    public Long failoverAt;
    public String failoverFrom;
    public String failoverTo;
    /** Whether the last failover was planned: Patroni promoted while the old primary was alive (a switchover). */
    public boolean failoverPlanned;
    /**
     * What the primary's own Patroni said at its last sample ({@code role/state}, or {@code unreachable}); null
     * without Patroni. Read when a new primary appears: a demoted or stopping old primary means a switchover.
     */
    public String primaryPatroni;

    /**
     * The part of this record that a primary sample changes every time (when it was sampled, its WAL senders and
     * slots), kept in the current primary's node state as well ({@link NodeState#primaryView}): a primary sample then
     * writes one state record, not two. This record is written only when something else changes (a failover, a new
     * timeline, the set of nodes out of recovery, downstreams, rollups); a task that loads it takes the primary's
     * newer view over it.
     */
    public static final class PrimaryView {
        public long sampleAt;
        public Integer timeline;
        public Long systemIdentifier;
        public List<Replica> replicas = new ArrayList<>();
        public Map<String, Long> slotActivePids = new HashMap<>();

        /** The cluster's current per-sample fields (shared, not copied: the cluster replaces them, never edits). */
        public static PrimaryView of(final ClusterState cs) {
            final PrimaryView v = new PrimaryView();
            v.sampleAt = cs.primarySampleAt;
            v.timeline = cs.timeline;
            v.systemIdentifier = cs.systemIdentifier;
            v.replicas = cs.replicas;
            v.slotActivePids = cs.slotActivePids;
            return v;
        }

        /** Puts this view into {@code cs}, whose primary it is the view of, when it is newer than what cs holds. */
        public void applyTo(final ClusterState cs) {
            if (cs.primarySampleAt != null && cs.primarySampleAt > sampleAt) {
                return;
            }
            cs.primarySampleAt = sampleAt;
            cs.timeline = timeline;
            cs.systemIdentifier = systemIdentifier;
            cs.replicas = new ArrayList<>(replicas);
            cs.slotActivePids = new HashMap<>(slotActivePids);
            cs.outOfRecovery.put(cs.primary, sampleAt);
        }
    }

    /** A WAL sender row of the primary, reduced to what lag and matching need. */
    public record Replica(Integer pid, String applicationName, String state, Long sentLsn, Long writeLsn,
                          Long flushLsn, Long replayLsn, String syncState) {
    }
}
