package io.replwatch.processor.state;

import io.replwatch.avro.HealthState;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.PollStatus;
import io.replwatch.processor.health.RuleTracker;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.rollup.Rollups;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the processor remembers about one node (the node-state store, key {@code cluster/node}, in
 * {@link StateCodec}'s binary layout). Mutable: the stages of the topology update it in place, one sample at a
 * time, on the stream thread that owns the node's cluster.
 */
public final class NodeState {

    /** The role a node last reported: out of recovery (primary) or in recovery (standby). */
    public enum Role { PRIMARY, STANDBY }

    /** Checkpoint totals (timed, requested) as of a time. */
    public record CheckpointPoint(long at, long timed, long requested) {
    }

    /** A recovery-conflict total as of a time. */
    public record ConflictPoint(long at, long total) {
    }

    public String cluster;
    public String node;
    /** Its key in the node stores ({@code cluster/node}), made once: not encoded. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public transient String key;
    public Role role;
    public Map<String, String> labels = new HashMap<>();
    public Long lastSampleAt;
    public Long lastSeenWall;
    public Long intervalMs;
    /** The collector of the last sample and that sample's sequence number (a clock that jumps back is told apart). */
    public String collectorId;
    public Long lastSequence;
    /** How far the last sample's clock was off the processor's beyond the skew window (ms, + ahead); else null. */
    public Long clockSkewMs;
    public PollStatus status;
    public String message;
    public Integer timeline;
    public Boolean inRecovery;

    /** WAL throughput: the previous position on this timeline, and the open window per size. */
    public Long walPrevLsn;
    public Integer walPrevTimeline;
    public Map<String, WalWindow> walWindows = new HashMap<>();

    /**
     * Standby: recent points over the lag window, spaced at least a tenth of the window apart (the newest always
     * kept), so the state stays small whatever the poll interval.
     */
    public List<Trend.Point> lagPoints = new ArrayList<>();
    /** Recovery-conflict totals, only where the total changed, plus one baseline before the window. */
    public List<ConflictPoint> conflictPoints = new ArrayList<>();
    public Long stalledSince;
    public Long replayLagBytes;
    public Long timeLagMs;
    public LagTrend trend;

    /** Capacity rollups: the open hour and day, and what the next sample's figures are measured from. */
    public Rollups.NodeMemory rollup = new Rollups.NodeMemory();

    /** Health. */
    public Map<String, RuleTracker> trackers = new HashMap<>();
    /**
     * On a primary: its standbys' failover readiness at its last good sample (not encoded: recomputed at the next
     * one). Published in its NodeHealth for failover-check.
     */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public transient io.replwatch.processor.health.FailoverRanking.Result failover;
    @com.fasterxml.jackson.annotation.JsonIgnore
    public transient Long failoverComputedAt;
    public HealthState state = HealthState.UNKNOWN;
    public Long stateSince;
    public List<String> firingRules = new ArrayList<>();
    public Long healthEmittedWall;
    public boolean stale;

    /** Checkpoint totals only where they changed, plus one baseline before the checkpoint window. */
    public List<CheckpointPoint> checkpointPoints = new ArrayList<>();
    /** A standby back from DOWN whose WAL receiver does not stream yet: since when (its grace), else null. */
    public Long rejoinSince;
    /** A standby whose WAL receiver is not streaming: since when, else null. */
    public Long receiverDownSince;

    /** A primary's logical slots: each slot's consumer as a trend window (confirmed_flush_lsn against the primary's). */
    public Map<String, List<io.replwatch.processor.lag.Trend.Point>> logicalSlotPoints = new HashMap<>();

    /**
     * The open tumbling window of published lag figures per consumer: the standby itself (key "") and each logical
     * slot of a primary (key: the slot's name). A closed window stays, with no samples, as the next one's baseline.
     */
    public Map<String, LagWindow> lagWindows = new HashMap<>();
    /**
     * The earliest event time at which {@link #lagWindows} needs a look (a window to close, a baseline to forget);
     * not encoded: 0 after a restore, so the first sample looks.
     */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public transient long lagWindowsDueAt;

    /** A subscriber's subscriptions: their apply and sync error totals where they changed, over the conflicts window. */
    public Map<String, List<ConflictPoint>> subscriptionErrors = new HashMap<>();

    /** A primary's logical slots: bytes spilled to disk (pg_stat_replication_slots) where they changed, over the window. */
    public Map<String, List<ConflictPoint>> slotSpill = new HashMap<>();

    /**
     * On the cluster's current primary only: the cluster's per-sample fields as of its last sample
     * ({@link ClusterState.PrimaryView}); null on every other node.
     */
    public ClusterState.PrimaryView primaryView;

    /** The role as the public topics spell it, or null before the first successful poll. */
    public String roleName() {
        return role == null ? null : role.name();
    }

    /**
     * One tumbling window of a consumer's lag: its first point's baseline (the last point of the window before, when
     * that is less than a window old, else the window's first point), its newest point and figures, and the extremes.
     * {@code samples == 0}: closed and published; only {@code last} is kept, as the next window's baseline.
     */
    public static final class LagWindow {
        public long start;
        public int samples;
        public Trend.Point base;
        public Trend.Point last;
        public Long minLag;
        public Long maxLag;
        public Long maxTimeLag;
        /** The newest sample's figures, as published at the window's end. */
        public String upstream;
        public Long sentLag;
        public Long writeLag;
        public Long flushLag;
        public Long receiveLag;
        public Long timeLag;
        public LagTrend trend;
        public String consumer;
        public String consumerAddr;
    }

    /** One open tumbling window of WAL bytes. */
    public static final class WalWindow {
        public long start;
        public long bytes;
        public int samples;
        public Integer timeline;
    }
}
