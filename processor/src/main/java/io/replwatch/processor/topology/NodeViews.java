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
    private final Publishers publishers;

    NodeViews(final TopologySettings settings) {
        this(settings, Publishers.NONE);
    }

    /** @param publishers finds a subscription's slot on its publisher, when replwatch watches that too */
    NodeViews(final TopologySettings settings, final Publishers publishers) {
        this(settings, publishers, (c, n) -> null);
    }

    /** @param peers another node's state in this task ({@code cluster, node}), or null: for failover readiness */
    NodeViews(final TopologySettings settings, final Publishers publishers,
              final java.util.function.BiFunction<String, String, NodeState> peers) {
        this.settings = settings;
        this.publishers = publishers;
        this.peers = peers;
    }

    private final java.util.function.BiFunction<String, String, NodeState> peers;

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
                v.rejoining(ServerActivity.primaryRejoining(ns, t, syncStandbys(s, v)));
            }
        }
        if (ok) {
            v.slots(slots(s));
            v.archiving(archiving(s, primary));
            // A primary's checkpoints only: up to 16 a standby counts its restartpoints there, which follow the
            // primary's checkpoint records, so the one cause would be named on every node of the cluster.
            v.checkpoints(primary ? checkpoints(s, t, ns, cs) : null);
            v.horizon(primary ? horizon(s) : null);
            v.subscriptions(Subscriptions.views(s, ns, t, publishers));
            if (primary) {
                v.logicalSlots(LogicalSlots.views(s, ns, cs, t, StandbyLag.minStallMs(settings, ns)));
            }
        }
        if (standby) {
            final NodeView.StandbyKind kind = standbyKind(s);
            v.standbyKind(kind).expectedLagMs(expectedLag(kind, s, cs)).settingsDrift(drift(s, cs))
                    .rejoining(ServerActivity.rejoining(ns, t))
                    .awaitingUpstream(!streaming(s) && ServerActivity.awaitingUpstream(s, ns, cs, t))
                    .upstreamDown(streaming(s) ? null : ServerActivity.upstreamDown(s, cs))
                    .divergedTimeline(streaming(s) ? null : divergedTimeline(s, cs))
                    .walKeep(kind == NodeView.StandbyKind.ARCHIVE ? null : walKeep(s, cs));
        }
        v.patroni(PatroniViews.view(s, cs, t, ns));
        // The ranking is a rule's input only for a Patroni cluster (NO_FAILOVER_CANDIDATE); otherwise it only feeds
        // the primary's NodeHealth, published at most every node_health_every: it is not recomputed more often.
        if (primary && s.getNode().equals(cs.primary) && (s.getPatroni() != null || ns.failoverComputedAt == null
                || t - ns.failoverComputedAt >= settings.nodeHealthEvery().toMillis())) {
            ns.failover = PatroniViews.failover(s, cs, n -> peers.apply(s.getCluster(), n));
            ns.failoverComputedAt = t;
        }
        if (primary && s.getNode().equals(cs.primary)) {
            v.failover(ns.failover);
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
                .failoverPlanned(cs.failoverPlanned)
                .build();
    }

    private static boolean streaming(final ReplicationSample s) {
        return s.getStandby() != null && s.getStandby().getWalReceiver() != null
                && "streaming".equals(s.getStandby().getWalReceiver().getStatus());
    }

    /** A standby replaying an older timeline than its cluster's primary writes: what, for the message; else null. */
    static String divergedTimeline(final ReplicationSample s, final ClusterState cs) {
        if (s.getTimeline() == null || cs.timeline == null || cs.primary == null || s.getNode().equals(cs.primary)
                || s.getTimeline() >= cs.timeline) {
            return null;
        }
        return "on timeline " + s.getTimeline() + " while its primary " + cs.primary + " is on " + cs.timeline;
    }

    /** The node label that overrides how a standby's kind is detected: streaming, delayed or archive. */
    static final String KIND_LABEL = "replwatch.standby_kind";
    /** How far behind an archive-fed standby may be when its primary sets no archive_timeout. */
    static final long ARCHIVE_FED_DEFAULT_MS = 300_000L;
    /** What a standby fed from the archive needs on top of the archive interval: restore retries and replay. */
    static final long ARCHIVE_FED_SLACK_MS = 30_000L;

    /**
     * Delayed when recovery_min_apply_delay is set; fed from the archive when it has a restore_command and no
     * primary_conninfo; else streaming. The node label replwatch.standby_kind overrides the detection.
     */
    static NodeView.StandbyKind standbyKind(final ReplicationSample s) {
        final String label = s.getLabels().get(KIND_LABEL);
        if (label != null) {
            for (final NodeView.StandbyKind k : NodeView.StandbyKind.values()) {
                if (k.name().equalsIgnoreCase(label)) {
                    return k;
                }
            }
        }
        final var st = s.getSettings();
        if (st == null) {
            return NodeView.StandbyKind.STREAMING;
        }
        if (Boolean.TRUE.equals(st.getRestoreCommandSet()) && Boolean.FALSE.equals(st.getPrimaryConninfoSet())) {
            return NodeView.StandbyKind.ARCHIVE;
        }
        if (st.getRecoveryMinApplyDelayMs() != null && st.getRecoveryMinApplyDelayMs() > 0) {
            return NodeView.StandbyKind.DELAYED;
        }
        return NodeView.StandbyKind.STREAMING;
    }

    /** The lag a standby has by design: its apply delay, or its primary's archive interval plus the slack. */
    static Long expectedLag(final NodeView.StandbyKind kind, final ReplicationSample s, final ClusterState cs) {
        return switch (kind) {
            case DELAYED -> s.getSettings() == null || s.getSettings().getRecoveryMinApplyDelayMs() == null ? null
                    : s.getSettings().getRecoveryMinApplyDelayMs();
            case ARCHIVE -> {
                final Long timeout = cs.primarySettings.get(ServerActivity.ARCHIVE_TIMEOUT);
                yield (timeout != null && timeout > 0 ? timeout * 1000 : ARCHIVE_FED_DEFAULT_MS) + ARCHIVE_FED_SLACK_MS;
            }
            case STREAMING -> null;
        };
    }

    /** Which of a standby's settings are below its primary's, or null. */
    static String drift(final ReplicationSample s, final ClusterState cs) {
        if (s.getSettings() == null || cs.primarySettings.isEmpty() || s.getNode().equals(cs.primary)) {
            return null;
        }
        final java.util.Map<String, Long> mine = ServerActivity.driftSettings(s.getSettings());
        final List<String> below = new ArrayList<>();
        for (final String name : ServerActivity.DRIFT_SETTINGS) {
            final Long own = mine.get(name);
            final Long primary = cs.primarySettings.get(name);
            if (own != null && primary != null && own < primary) {
                below.add(name + " " + own + " < the primary's " + primary);
            }
        }
        return below.isEmpty() ? null : String.join(", ", below);
    }

    /** The peak WAL rate is taken over spans of at least this long (shorter ones measure bursts, not load). */
    static final long PEAK_SPAN_MS = 60_000L;

    /** What the primary keeps for a standby that streams without a slot, or null when it has one. */
    static NodeView.WalKeep walKeep(final ReplicationSample s, final ClusterState cs) {
        final var st = s.getSettings();
        final var receiver = s.getStandby() == null ? null : s.getStandby().getWalReceiver();
        final boolean slot = st != null && st.getPrimarySlotName() != null && !st.getPrimarySlotName().isEmpty()
                || receiver != null && receiver.getSlotName() != null && !receiver.getSlotName().isEmpty();
        final Long keepMb = cs.primarySettings.get(ServerActivity.WAL_KEEP_SIZE_MB);
        if (slot || st == null || keepMb == null) {
            return null;
        }
        final Double peak = peakRate(cs.history, PEAK_SPAN_MS);
        return peak == null ? null : new NodeView.WalKeep(keepMb * 1024 * 1024, peak,
                Boolean.TRUE.equals(st.getRestoreCommandSet()));
    }

    /** The highest WAL rate (bytes/s) over any span of at least {@code minSpanMs} in the primary's history. */
    static Double peakRate(final io.replwatch.processor.lag.LsnHistory h, final long minSpanMs) {
        final int n = h.times.size();
        double best = 0;
        int j = 0;
        for (int i = 0; i < n; i++) {
            if (j < i) {
                j = i;
            }
            while (j < n && h.times.get(j) - h.times.get(i) < minSpanMs) {
                j++;
            }
            if (j >= n) {
                break;
            }
            final double rate = Lsn.bytesBehind(h.lsns.get(j), h.lsns.get(i)) * 1000d / (h.times.get(j) - h.times.get(i));
            best = Math.max(best, rate);
        }
        return best > 0 ? best : null;
    }

    /** Last failure within this long counts as failing (the archiver retries about every minute). */
    static final long ARCHIVE_FAILURE_RECENT_MS = 600_000L;

    /** The archiver of a node that archives: a primary with archive_mode on or always, a standby with always. */
    static NodeView.Archiving archiving(final ReplicationSample s, final boolean primary) {
        final var a = s.getArchiver();
        final var st = s.getSettings();
        if (a == null || st == null || st.getArchiveMode() == null) {
            return null;
        }
        final String mode = st.getArchiveMode();
        if (!("always".equals(mode) || primary && "on".equals(mode))) {
            return null;
        }
        final long now = s.getServerTime() != null ? s.getServerTime().toEpochMilli() : s.getSampledAt().toEpochMilli();
        final Long failedAt = a.getLastFailedAt() == null ? null : a.getLastFailedAt().toEpochMilli();
        final Long archivedAt = a.getLastArchivedAt() == null ? null : a.getLastArchivedAt().toEpochMilli();
        final Long oldestAge = a.getOldestReadyAt() == null ? null : Math.max(0, now - a.getOldestReadyAt().toEpochMilli());
        final boolean failing = failedAt != null && (archivedAt == null || failedAt > archivedAt)
                && now - failedAt <= ARCHIVE_FAILURE_RECENT_MS;
        final Long failingFor = !failing ? null : oldestAge != null ? oldestAge
                : archivedAt != null ? Math.max(0, now - archivedAt) : null;
        return new NodeView.Archiving(a.getFailedCount(), failing, failingFor, a.getLastFailedWal(),
                a.getReadyCount(), oldestAge);
    }

    /** Checkpoints in the window, with the WAL rate of the cluster's primary over it (a primary's own view). */
    private NodeView.Checkpoints checkpoints(final ReplicationSample s, final long t, final NodeState ns,
                                             final ClusterState cs) {
        if (s.getCheckpointer() == null || ns.checkpointPoints.size() < 2) {
            return null;
        }
        final long[] n = ServerActivity.checkpointsInWindow(ns);
        final long windowMs = t - ns.checkpointPoints.get(0).at();
        Double rate = null;
        // The WAL rate is only for the reason of a firing rule: the history is not scanned on every primary sample.
        if (n[1] >= io.replwatch.processor.health.Rules.CHECKPOINTS_MIN_REQUESTED && s.getNode().equals(cs.primary)
                && !cs.history.isEmpty()) {
            final long from = Math.max(t - ServerActivity.CHECKPOINT_WINDOW_MS, cs.history.times.get(0));
            final Long at = cs.history.lsnAt(from);
            final long span = cs.history.latestTime() - from;
            if (at != null && span > 0) {
                rate = Lsn.bytesBehind(cs.history.latestLsn(), at) * 1000d / span;
            }
        }
        final var st = s.getSettings();
        return new NodeView.Checkpoints(n[0], n[1], windowMs, rate, st == null ? null : st.getCheckpointTimeoutS(),
                st == null ? null : st.getMaxWalSizeMb());
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
    /** Sets the synchronous standbys' names and how many of them are missing; returns that count (0 when none named). */
    private static int syncStandbys(final ReplicationSample s, final NodeView.Builder v) {
        final String names = s.getSettings().getSynchronousStandbyNames();
        v.syncStandbyNames(names);
        final SyncStandbyNames parsed = SyncStandbyNames.parse(names);
        if (parsed == null) {
            return 0;
        }
        {
            final List<String> streaming = new ArrayList<>();
            for (final ReplicaRow r : s.getReplicas()) {
                if ("streaming".equals(r.getState()) && r.getApplicationName() != null) {
                    streaming.add(r.getApplicationName());
                }
            }
            final int missing = parsed.missing(streaming);
            v.syncMissing(missing);
            return missing;
        }
    }

    /**
     * The oldest xmin among the slots (xmin; a logical slot's catalog_xmin), the standbys' feedback (the WAL senders'
     * backend_xmin, when they stream without a slot), the running and the prepared transactions; null when nothing
     * holds one. On a tie the standby is named before its slot.
     */
    static NodeView.XminHolder horizon(final ReplicationSample s) {
        NodeView.XminHolder oldest = null;
        for (final ReplicaRow r : s.getReplicas()) {
            if (r.getBackendXminAge() != null) {
                oldest = older(oldest, new NodeView.XminHolder(r.getBackendXminAge(), NodeView.HolderKind.STANDBY_FEEDBACK,
                        r.getApplicationName() == null ? "pid " + r.getPid() : r.getApplicationName(), null, null));
            }
        }
        for (final SlotRow slot : s.getSlots()) {
            if (slot.getXminAge() != null) {
                // An active physical slot's xmin is its standby's hot_standby_feedback: name the standby.
                final String standby = slot.getActive() && "physical".equals(slot.getSlotType())
                        ? senderName(s, slot.getActivePid()) : null;
                oldest = older(oldest, standby != null
                        ? new NodeView.XminHolder(slot.getXminAge(), NodeView.HolderKind.STANDBY_FEEDBACK, standby, null,
                                "through slot " + slot.getSlotName())
                        : new NodeView.XminHolder(slot.getXminAge(), NodeView.HolderKind.SLOT, slot.getSlotName(), null,
                                slot.getSlotType() + ", " + (slot.getActive() ? "active" : "inactive")));
            }
            if (slot.getCatalogXminAge() != null) {
                oldest = older(oldest, new NodeView.XminHolder(slot.getCatalogXminAge(), NodeView.HolderKind.LOGICAL_SLOT,
                        slot.getSlotName(), null, (slot.getActive() ? "active" : "inactive")
                        + (slot.getPlugin() == null ? "" : ", plugin " + slot.getPlugin())
                        + (slot.getDatabase() == null ? "" : ", database " + slot.getDatabase())));
            }
        }
        final var h = s.getHorizon();
        if (h != null && h.getBackend() != null) {
            final var b = h.getBackend();
            final StringBuilder d = new StringBuilder();
            d.append(b.getState() == null ? b.getBackendType() : b.getState());
            if (b.getDatabase() != null) {
                d.append(", database ").append(b.getDatabase());
            }
            if (b.getApplicationName() != null && !b.getApplicationName().isEmpty()) {
                d.append(", application ").append(b.getApplicationName());
            }
            oldest = older(oldest, new NodeView.XminHolder(b.getXminAge(), NodeView.HolderKind.TRANSACTION,
                    String.valueOf(b.getPid()), b.getXactStart() == null ? null
                    : s.getSampledAt().toEpochMilli() - b.getXactStart().toEpochMilli(), d.toString()));
        }
        if (h != null && h.getPrepared() != null) {
            final var p = h.getPrepared();
            oldest = older(oldest, new NodeView.XminHolder(p.getXminAge(), NodeView.HolderKind.PREPARED, p.getGid(),
                    p.getPreparedAt() == null ? null : s.getSampledAt().toEpochMilli() - p.getPreparedAt().toEpochMilli(),
                    p.getDatabase() == null ? null : "database " + p.getDatabase()));
        }
        return oldest;
    }

    /** The application_name of the WAL sender with {@code pid}, or null. */
    private static String senderName(final ReplicationSample s, final Integer pid) {
        if (pid == null) {
            return null;
        }
        for (final ReplicaRow r : s.getReplicas()) {
            if (pid.equals(r.getPid())) {
                return r.getApplicationName();
            }
        }
        return null;
    }

    private static NodeView.XminHolder older(final NodeView.XminHolder a, final NodeView.XminHolder b) {
        return a == null || b.ageXids() > a.ageXids() ? b : a;
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
