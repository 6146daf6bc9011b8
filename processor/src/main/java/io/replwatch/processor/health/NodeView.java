package io.replwatch.processor.health;

import io.replwatch.avro.LagTrend;
import io.replwatch.avro.PollStatus;
import java.util.List;

/**
 * Everything the rules look at for one node at one moment, computed by the topology from the node's latest
 * sample and its cluster's state. Rules are pure functions of this view and the thresholds.
 *
 * @param stalledForMs how long the replay position has not moved while the upstream's did (0 when moving)
 * @param conflictsInWindow recovery conflicts counted within the conflicts window
 * @param standbyListedUpstream null when unknown (no fresh primary sample), else whether the primary's
 *        pg_stat_replication lists this standby
 * @param syncMissing null unless this is a primary with synchronous_standby_names set: how many named standbys
 *        are missing (needed minus streaming)
 * @param identityConflict null, or why this node belongs to another database system than its cluster's primary
 * @param clockSkewMs null, or how far the sample's clock was off the processor's (ms, positive: ahead)
 * @param expectedLagMs the lag a standby has by design: a delayed standby's recovery_min_apply_delay, an archive-fed
 *        standby's archive interval; its lag and stall are judged beyond it
 * @param settingsDrift null, or which of this standby's settings are below its primary's
 * @param rejoining a standby back from DOWN whose WAL receiver is not streaming yet, within its grace
 * @param upstreamDown null, or the node (not the primary) this cascading standby streams from, which is DOWN
 * @param awaitingUpstream a cascading standby whose link dropped a moment ago: whether its upstream is going DOWN is
 *        not known yet, and its receiver rules wait
 * @param horizon null, or what holds this node's xmin horizon furthest back (a slot, a standby's feedback, a
 *        transaction, a prepared transaction)
 */
public record NodeView(
        String cluster,
        String node,
        PollStatus status,
        String message,
        boolean stale,
        long staleForMs,
        Boolean inRecovery,
        Boolean replayPaused,
        String receiverStatus,
        Long timeLagMs,
        Long replayLagBytes,
        LagTrend trend,
        long stalledForMs,
        long conflictsInWindow,
        Boolean standbyListedUpstream,
        Integer syncMissing,
        String syncStandbyNames,
        List<SlotView> slots,
        int walSenders,
        Integer maxWalSenders,
        Integer maxReplicationSlots,
        boolean failoverActive,
        String failoverFrom,
        boolean splitBrain,
        List<String> splitBrainNodes,
        String identityConflict,
        Long clockSkewMs,
        StandbyKind standbyKind,
        Long expectedLagMs,
        Archiving archiving,
        Checkpoints checkpoints,
        String settingsDrift,
        boolean rejoining,
        WalKeep walKeep,
        String upstreamDown,
        boolean awaitingUpstream,
        XminHolder horizon,
        List<LogicalSlot> logicalSlots,
        List<SubscriptionView> subscriptions,
        Patroni patroni,
        FailoverRanking.Result failover,
        boolean failoverPlanned,
        String divergedTimeline) {

    /**
     * What Patroni says about this node and its cluster (null: the cluster has no Patroni endpoints).
     *
     * @param clusterLevel whether this node carries the cluster's findings (PATRONI_PAUSED, SYNC_DEGRADED, ...): the
     *        cluster's primary, or Patroni's leader while no primary is known
     * @param error why no Patroni endpoint answered, or null
     * @param leaderless Patroni answered and no member holds the leader key
     * @param planned this member's own Patroni is stopping, starting or restarting it (a switchover or a restart it
     *        runs), so an outage of its PostgreSQL is expected
     * @param dcsUnseenMs how long ago this member last reached the DCS (null: unknown)
     */
    public record Patroni(boolean clusterLevel, String error, boolean paused, String leader, boolean leaderless,
                          Boolean synchronousMode, boolean strict, boolean syncStreaming, String selfState,
                          String selfError, boolean pendingRestart, Long dcsUnseenMs, Integer ttlS, boolean planned) {
    }

    /**
     * A subscription of this node: enabled, its apply worker running, errors (apply and table sync) within the
     * conflicts window, the cumulative counts (null before 15), how long since the publisher's last message.
     */
    public record SubscriptionView(String name, boolean enabled, boolean applyRunning, long errorsInWindow,
                                   Long applyErrors, Long syncErrors, Long lastMessageAgeMs, String slotName,
                                   Publisher publisher) {
    }

    /**
     * The slot a subscription consumes, seen on its publisher when replwatch watches that too: where
     * ({@code cluster/node}), how far behind its confirmed position is in bytes and in true time (from the
     * publisher's LSN history), its trend and catch-up ETA, and when the publisher was sampled.
     */
    public record Publisher(String cluster, String node, String slot, Long lagBytes, Long timeLagMs, LagTrend trend,
                            Long catchUpEtaMs, long sampledAt) {
    }

    /**
     * A primary's logical slot judged as a consumer: bytes its confirmed_flush_lsn is behind the primary, its trend
     * over the lag window (how long stalled, when STALLED), the catch-up ETA, the rates it consumes at and the
     * primary writes at (bytes per second, null when unknown), its true time lag (from the primary's LSN history)
     * and the application_name of the WAL sender streaming it (null while none does).
     */
    public record LogicalSlot(String name, String plugin, String database, boolean active, long lagBytes, LagTrend trend,
                              long stalledForMs, Long catchUpEtaMs, Double consumeBytesPerSecond,
                              Double walBytesPerSecond, long spilledBytesInWindow, Long spillTxns, Long timeLagMs,
                              String consumer) {
    }

    /** What holds a node's xmin horizon back: vacuum cannot remove rows deleted after it. */
    public enum HolderKind { SLOT, LOGICAL_SLOT, STANDBY_FEEDBACK, TRANSACTION, PREPARED }

    /**
     * The oldest xmin on a node and who holds it: {@code ageXids} transactions old; {@code name} is the slot, the
     * standby (application_name), the backend's pid or the prepared transaction's gid; {@code heldForMs} how long
     * its transaction has been open (transactions and prepared transactions), else null; {@code detail} what else
     * helps (a backend's state, database and application).
     */
    public record XminHolder(long ageXids, HolderKind kind, String name, Long heldForMs, String detail) {
    }

    /**
     * A streaming standby without a replication slot lives on what its primary keeps: wal_keep_size, against the
     * primary's recent peak WAL rate (bytes per second over at least a minute). {@code archiveFallback}: the standby
     * has a restore_command to fetch what the primary no longer keeps.
     */
    public record WalKeep(long keepBytes, double peakBytesPerSecond, boolean archiveFallback) {
        /** How long an outage the primary's kept WAL covers at the peak rate. */
        public long coversMs() {
            return (long) (keepBytes / peakBytesPerSecond * 1000);
        }
    }

    /**
     * How a standby is fed: streaming from an upstream; streaming with a configured apply delay
     * (recovery_min_apply_delay); or from the WAL archive only (restore_command, no primary_conninfo). Detected from
     * the standby's settings; a node label {@code replwatch.standby_kind} (streaming, delayed, archive) overrides it.
     */
    public enum StandbyKind { STREAMING, DELAYED, ARCHIVE }

    /**
     * The archiver of a node that archives (a primary with archive_mode on, or any node with always), judged on the
     * node's own clock: whether it is failing (its last attempt failed, after its last success, within the last ten
     * minutes: the archiver retries every minute while it fails), for how long (the age of the oldest segment
     * waiting, or the time since the last success), and the segments still waiting (null before 12 or without
     * pg_monitor).
     */
    public record Archiving(long failedCount, boolean failing, Long failingForMs, String lastFailedWal,
                            Integer readyCount, Long oldestReadyAgeMs) {
    }

    /**
     * Checkpoints within the checkpoint window: timed and requested, the primary's WAL rate over it, and the settings
     * that decide when a checkpoint is forced.
     */
    public record Checkpoints(long timed, long requested, long windowMs, Double walBytesPerSecond,
                              Integer checkpointTimeoutS, Long maxWalSizeMb) {
    }

    /** A replication slot as the rules see it. */
    public record SlotView(String name, boolean active, boolean temporary, Long retainedBytes, String walStatus,
                           Long safeWalSize) {
    }

    public boolean isStandby() {
        return Boolean.TRUE.equals(inRecovery);
    }

    public boolean isPrimary() {
        return Boolean.FALSE.equals(inRecovery);
    }

    /** Whether the last poll returned data (OK, or PERMISSION_DENIED with partial facts). */
    public boolean hasData() {
        return status == PollStatus.OK && !stale;
    }

    /** A builder: every field starts empty (null, zero, false, an empty list; status OK). */
    public static Builder builder(final String cluster, final String node) {
        return new Builder().cluster(cluster).node(node);
    }

    /** A builder holding this view's values, to change a few of them. */
    public Builder toBuilder() {
        return new Builder()
                .cluster(cluster)
                .node(node)
                .status(status)
                .message(message)
                .stale(stale)
                .staleForMs(staleForMs)
                .inRecovery(inRecovery)
                .replayPaused(replayPaused)
                .receiverStatus(receiverStatus)
                .timeLagMs(timeLagMs)
                .replayLagBytes(replayLagBytes)
                .trend(trend)
                .stalledForMs(stalledForMs)
                .conflictsInWindow(conflictsInWindow)
                .standbyListedUpstream(standbyListedUpstream)
                .syncMissing(syncMissing)
                .syncStandbyNames(syncStandbyNames)
                .slots(slots)
                .walSenders(walSenders)
                .maxWalSenders(maxWalSenders)
                .maxReplicationSlots(maxReplicationSlots)
                .failoverActive(failoverActive)
                .failoverFrom(failoverFrom)
                .splitBrain(splitBrain)
                .splitBrainNodes(splitBrainNodes)
                .identityConflict(identityConflict)
                .clockSkewMs(clockSkewMs)
                .standbyKind(standbyKind)
                .expectedLagMs(expectedLagMs)
                .archiving(archiving)
                .checkpoints(checkpoints)
                .settingsDrift(settingsDrift)
                .rejoining(rejoining)
                .walKeep(walKeep)
                .upstreamDown(upstreamDown)
                .awaitingUpstream(awaitingUpstream)
                .horizon(horizon)
                .logicalSlots(logicalSlots)
                .subscriptions(subscriptions)
                .patroni(patroni)
                .failover(failover)
                .failoverPlanned(failoverPlanned)
                .divergedTimeline(divergedTimeline);
    }

    /** Builds a {@link NodeView} by name, so that call sites say which of its many facts they set. */
    public static final class Builder {
        private String cluster;
        private String node;
        private PollStatus status = PollStatus.OK;
        private String message;
        private boolean stale;
        private long staleForMs;
        private Boolean inRecovery;
        private Boolean replayPaused;
        private String receiverStatus;
        private Long timeLagMs;
        private Long replayLagBytes;
        private LagTrend trend;
        private long stalledForMs;
        private long conflictsInWindow;
        private Boolean standbyListedUpstream;
        private Integer syncMissing;
        private String syncStandbyNames;
        private List<SlotView> slots = List.of();
        private int walSenders;
        private Integer maxWalSenders;
        private Integer maxReplicationSlots;
        private boolean failoverActive;
        private String failoverFrom;
        private boolean splitBrain;
        private List<String> splitBrainNodes = List.of();
        private String identityConflict;
        private Long clockSkewMs;
        private StandbyKind standbyKind = StandbyKind.STREAMING;
        private Long expectedLagMs;
        private Archiving archiving;
        private Checkpoints checkpoints;
        private String settingsDrift;
        private boolean rejoining;
        private WalKeep walKeep;
        private String upstreamDown;
        private boolean awaitingUpstream;
        private XminHolder horizon;
        private List<LogicalSlot> logicalSlots = List.of();
        private List<SubscriptionView> subscriptions = List.of();
        private Patroni patroni;
        private FailoverRanking.Result failover;
        private boolean failoverPlanned;
        private String divergedTimeline;

        /** A standby not streaming on an older timeline than its primary's: which, for the message. */
        public Builder divergedTimeline(final String value) {
            this.divergedTimeline = value;
            return this;
        }

        public Builder patroni(final Patroni value) {
            this.patroni = value;
            return this;
        }

        public Builder failover(final FailoverRanking.Result value) {
            this.failover = value;
            return this;
        }

        public Builder failoverPlanned(final boolean value) {
            this.failoverPlanned = value;
            return this;
        }

        public Builder subscriptions(final List<SubscriptionView> value) {
            this.subscriptions = value;
            return this;
        }

        public Builder logicalSlots(final List<LogicalSlot> value) {
            this.logicalSlots = value;
            return this;
        }

        public Builder horizon(final XminHolder value) {
            this.horizon = value;
            return this;
        }

        public Builder awaitingUpstream(final boolean value) {
            this.awaitingUpstream = value;
            return this;
        }

        public Builder upstreamDown(final String value) {
            this.upstreamDown = value;
            return this;
        }

        public Builder walKeep(final WalKeep value) {
            this.walKeep = value;
            return this;
        }

        public Builder cluster(final String value) {
            this.cluster = value;
            return this;
        }

        public Builder node(final String value) {
            this.node = value;
            return this;
        }

        public Builder status(final PollStatus value) {
            this.status = value;
            return this;
        }

        public Builder message(final String value) {
            this.message = value;
            return this;
        }

        public Builder stale(final boolean value) {
            this.stale = value;
            return this;
        }

        public Builder staleForMs(final long value) {
            this.staleForMs = value;
            return this;
        }

        public Builder inRecovery(final Boolean value) {
            this.inRecovery = value;
            return this;
        }

        public Builder replayPaused(final Boolean value) {
            this.replayPaused = value;
            return this;
        }

        public Builder receiverStatus(final String value) {
            this.receiverStatus = value;
            return this;
        }

        public Builder timeLagMs(final Long value) {
            this.timeLagMs = value;
            return this;
        }

        public Builder replayLagBytes(final Long value) {
            this.replayLagBytes = value;
            return this;
        }

        public Builder trend(final LagTrend value) {
            this.trend = value;
            return this;
        }

        public Builder stalledForMs(final long value) {
            this.stalledForMs = value;
            return this;
        }

        public Builder conflictsInWindow(final long value) {
            this.conflictsInWindow = value;
            return this;
        }

        public Builder standbyListedUpstream(final Boolean value) {
            this.standbyListedUpstream = value;
            return this;
        }

        public Builder syncMissing(final Integer value) {
            this.syncMissing = value;
            return this;
        }

        public Builder syncStandbyNames(final String value) {
            this.syncStandbyNames = value;
            return this;
        }

        public Builder slots(final List<SlotView> value) {
            this.slots = value;
            return this;
        }

        public Builder walSenders(final int value) {
            this.walSenders = value;
            return this;
        }

        public Builder maxWalSenders(final Integer value) {
            this.maxWalSenders = value;
            return this;
        }

        public Builder maxReplicationSlots(final Integer value) {
            this.maxReplicationSlots = value;
            return this;
        }

        public Builder failoverActive(final boolean value) {
            this.failoverActive = value;
            return this;
        }

        public Builder failoverFrom(final String value) {
            this.failoverFrom = value;
            return this;
        }

        public Builder splitBrain(final boolean value) {
            this.splitBrain = value;
            return this;
        }

        public Builder splitBrainNodes(final List<String> value) {
            this.splitBrainNodes = value;
            return this;
        }

        public Builder identityConflict(final String value) {
            this.identityConflict = value;
            return this;
        }

        public Builder clockSkewMs(final Long value) {
            this.clockSkewMs = value;
            return this;
        }

        public Builder standbyKind(final StandbyKind value) {
            this.standbyKind = value;
            return this;
        }

        public Builder expectedLagMs(final Long value) {
            this.expectedLagMs = value;
            return this;
        }

        public Builder archiving(final Archiving value) {
            this.archiving = value;
            return this;
        }

        public Builder checkpoints(final Checkpoints value) {
            this.checkpoints = value;
            return this;
        }

        public Builder settingsDrift(final String value) {
            this.settingsDrift = value;
            return this;
        }

        public Builder rejoining(final boolean value) {
            this.rejoining = value;
            return this;
        }

        public NodeView build() {
            return new NodeView(cluster, node, status, message, stale, staleForMs, inRecovery, replayPaused,
                    receiverStatus, timeLagMs, replayLagBytes, trend, stalledForMs, conflictsInWindow,
                    standbyListedUpstream, syncMissing, syncStandbyNames, slots, walSenders, maxWalSenders,
                    maxReplicationSlots, failoverActive, failoverFrom, splitBrain, splitBrainNodes,
                    identityConflict, clockSkewMs, standbyKind, expectedLagMs, archiving, checkpoints, settingsDrift,
                    rejoining, walKeep, upstreamDown, awaitingUpstream, horizon, logicalSlots, subscriptions, patroni,
                    failover, failoverPlanned, divergedTimeline);
        }
    }
}
