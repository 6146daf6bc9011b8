package io.replwatch.processor.health;

import io.replwatch.avro.HealthState;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.PollStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The health rules, each a small named pure function of a {@link NodeView} and its settings, after Burrow's
 * evaluator: a node's state is the worst severity among its firing rules.
 */
public final class Rules {

    public static final String NODE_UNREACHABLE = "NODE_UNREACHABLE";
    public static final String MONITORING_FAILED = "MONITORING_FAILED";
    public static final String SAMPLES_STALE = "SAMPLES_STALE";
    public static final String LAG_TIME = "LAG_TIME";
    public static final String LAG_BYTES = "LAG_BYTES";
    public static final String REPLAY_STALLED = "REPLAY_STALLED";
    public static final String REPLAY_PAUSED = "REPLAY_PAUSED";
    public static final String RECEIVER_DISCONNECTED = "RECEIVER_DISCONNECTED";
    public static final String STANDBY_MISSING = "STANDBY_MISSING";
    public static final String SLOT_INACTIVE = "SLOT_INACTIVE";
    public static final String SLOT_WAL_AT_RISK = "SLOT_WAL_AT_RISK";
    public static final String CONFLICTS = "CONFLICTS";
    public static final String SYNC_STANDBY_MISSING = "SYNC_STANDBY_MISSING";
    public static final String SENDERS_EXHAUSTED = "SENDERS_EXHAUSTED";
    public static final String FAILOVER = "FAILOVER";
    public static final String SPLIT_BRAIN = "SPLIT_BRAIN";
    public static final String CLUSTER_IDENTITY_CONFLICT = "CLUSTER_IDENTITY_CONFLICT";
    public static final String CLOCK_SKEW = "CLOCK_SKEW";
    public static final String ARCHIVE_FAILING = "ARCHIVE_FAILING";
    public static final String ARCHIVE_LAG = "ARCHIVE_LAG";
    public static final String CHECKPOINTS_FORCED = "CHECKPOINTS_FORCED";
    public static final String SLOT_RETENTION = "SLOT_RETENTION";
    public static final String SETTINGS_DRIFT = "SETTINGS_DRIFT";
    public static final String WAL_KEEP_SHORT = "WAL_KEEP_SHORT";
    public static final String XMIN_HORIZON = "XMIN_HORIZON";
    public static final String LOGICAL_SLOT_LAG = "LOGICAL_SLOT_LAG";
    public static final String LOGICAL_SLOT_SPILL = "LOGICAL_SLOT_SPILL";
    public static final String SUBSCRIPTION_DOWN = "SUBSCRIPTION_DOWN";
    public static final String SUBSCRIPTION_ERRORS = "SUBSCRIPTION_ERRORS";
    public static final String SUBSCRIPTION_LAG = "SUBSCRIPTION_LAG";
    public static final String UPSTREAM_DOWN = "UPSTREAM_DOWN";
    public static final String SWITCHOVER = "SWITCHOVER";
    public static final String TIMELINE_DIVERGED = "TIMELINE_DIVERGED";
    public static final String PATRONI_UNREACHABLE = "PATRONI_UNREACHABLE";
    public static final String PATRONI_PAUSED = "PATRONI_PAUSED";
    public static final String PATRONI_LEADERLESS = "PATRONI_LEADERLESS";
    public static final String DCS_UNREACHABLE = "DCS_UNREACHABLE";
    public static final String PENDING_RESTART = "PENDING_RESTART";
    public static final String SYNC_DEGRADED = "SYNC_DEGRADED";
    public static final String NO_FAILOVER_CANDIDATE = "NO_FAILOVER_CANDIDATE";

    /**
     * A rule: its code, the unit of its thresholds, its default settings and a pure function. This list is the one
     * place a rule is declared: the thresholds' defaults, the configuration's keys and units, and the order reasons
     * are listed in all come from it.
     */
    public record Rule(String code, ThresholdUnit unit, Thresholds.RuleSettings defaults,
                       BiFunction<NodeView, Thresholds.RuleSettings, Optional<Finding>> check) {
    }

    private static final Duration CLEAR = Duration.ofSeconds(15);
    private static final double MIB = 1024d * 1024;

    private static Thresholds.RuleSettings settings(final Double warning, final Double critical, final Duration enterFor,
                                                    final Duration clearFor) {
        return new Thresholds.RuleSettings(warning, critical, enterFor, clearFor);
    }

    /** Every rule, in the order reasons are listed, with its defaults (common practice; README's rule table). */
    public static final List<Rule> ALL = List.of(
            new Rule(NODE_UNREACHABLE, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, Duration.ZERO),
                    Rules::nodeUnreachable),
            new Rule(MONITORING_FAILED, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR), Rules::monitoringFailed),
            new Rule(SAMPLES_STALE, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, Duration.ZERO), Rules::samplesStale),
            new Rule(CLOCK_SKEW, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR), Rules::clockSkew),
            new Rule(CLUSTER_IDENTITY_CONFLICT, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR),
                    Rules::clusterIdentityConflict),
            new Rule(SPLIT_BRAIN, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, Duration.ZERO), Rules::splitBrain),
            new Rule(FAILOVER, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, Duration.ZERO), Rules::failover),
            // A promotion Patroni ran with the old primary alive (switchover, manual failover): planned.
            new Rule(SWITCHOVER, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, Duration.ZERO), Rules::switchover),
            // Patroni clusters (a patroni section in the collector's configuration).
            new Rule(PATRONI_UNREACHABLE, ThresholdUnit.NONE, settings(null, null, Duration.ofSeconds(10), CLEAR),
                    Rules::patroniUnreachable),
            new Rule(PATRONI_PAUSED, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, Duration.ZERO), Rules::patroniPaused),
            // No leader for 15 s: a switchover or an election leaves the key free for a second or two.
            new Rule(PATRONI_LEADERLESS, ThresholdUnit.NONE, settings(null, null, Duration.ofSeconds(15), Duration.ZERO),
                    Rules::patroniLeaderless),
            new Rule(DCS_UNREACHABLE, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR), Rules::dcsUnreachable),
            new Rule(PENDING_RESTART, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR), Rules::pendingRestart),
            // synchronous_mode on and no synchronous standby streaming for 10 s (a switchover's gap is shorter).
            new Rule(SYNC_DEGRADED, ThresholdUnit.NONE, settings(null, null, Duration.ofSeconds(10), CLEAR), Rules::syncDegraded),
            // No standby Patroni could promote, for 30 s.
            new Rule(NO_FAILOVER_CANDIDATE, ThresholdUnit.NONE, settings(null, null, Duration.ofSeconds(30), CLEAR),
                    Rules::noFailoverCandidate),
            // Follows its upstream: clears the moment the upstream is back (as the upstream's NODE_UNREACHABLE does).
            new Rule(UPSTREAM_DOWN, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, Duration.ZERO), Rules::upstreamDown),
            // Not streaming on an older timeline than its primary's for 10 s: it has not followed a failover.
            new Rule(TIMELINE_DIVERGED, ThresholdUnit.NONE, settings(null, null, Duration.ofSeconds(10), CLEAR),
                    Rules::timelineDiverged),
            new Rule(RECEIVER_DISCONNECTED, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR),
                    Rules::receiverDisconnected),
            new Rule(STANDBY_MISSING, ThresholdUnit.NONE, settings(null, null, Duration.ofSeconds(10), CLEAR),
                    Rules::standbyMissing),
            // Stalled replay: WARNING at once, CRITICAL once stalled for 60 s.
            new Rule(REPLAY_STALLED, ThresholdUnit.DURATION, settings(0d, 60_000d, Duration.ZERO, CLEAR), Rules::replayStalled),
            new Rule(REPLAY_PAUSED, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR), Rules::replayPaused),
            // Time lag: over 60 s WARNING, over 300 s CRITICAL, held 30 s before it fires.
            new Rule(LAG_TIME, ThresholdUnit.DURATION, settings(60_000d, 300_000d, Duration.ofSeconds(30), CLEAR), Rules::lagTime),
            new Rule(LAG_BYTES, ThresholdUnit.BYTES, settings(256 * MIB, 1024 * MIB, Duration.ofSeconds(30), CLEAR),
                    Rules::lagBytes),
            new Rule(SYNC_STANDBY_MISSING, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR),
                    Rules::syncStandbyMissing),
            // safe_wal_size under 1 GiB: WARNING; wal_status unreserved or lost: CRITICAL.
            new Rule(SLOT_WAL_AT_RISK, ThresholdUnit.BYTES, settings(1024 * MIB, null, Duration.ZERO, CLEAR), Rules::slotWalAtRisk),
            new Rule(SLOT_INACTIVE, ThresholdUnit.NONE, settings(null, null, Duration.ofSeconds(60), CLEAR), Rules::slotInactive),
            // WAL senders or slots in use at 80 % of the maximum or more.
            new Rule(SENDERS_EXHAUSTED, ThresholdUnit.RATIO, settings(0.8, null, Duration.ZERO, CLEAR), Rules::sendersExhausted),
            new Rule(CONFLICTS, ThresholdUnit.COUNT, settings(100d, null, Duration.ZERO, Duration.ofMinutes(5)), Rules::conflicts),
            // Archiving failing: WARNING at once, CRITICAL once it has failed for 5 minutes.
            new Rule(ARCHIVE_FAILING, ThresholdUnit.DURATION, settings(0d, 300_000d, Duration.ZERO, CLEAR), Rules::archiveFailing),
            // The oldest segment waiting for the archiver: over 5 minutes WARNING, over 30 minutes CRITICAL.
            new Rule(ARCHIVE_LAG, ThresholdUnit.DURATION, settings(300_000d, 1_800_000d, Duration.ZERO, CLEAR), Rules::archiveLag),
            // Half or more of the window's checkpoints (at least 3) requested by WAL volume rather than timed.
            new Rule(CHECKPOINTS_FORCED, ThresholdUnit.RATIO, settings(0.5, null, Duration.ZERO, Duration.ofMinutes(5)),
                    Rules::checkpointsForced),
            // WAL retained by any slot, active or not: over 8 GiB WARNING, over 32 GiB CRITICAL.
            new Rule(SLOT_RETENTION, ThresholdUnit.BYTES, settings(8192 * MIB, 32768 * MIB, Duration.ofSeconds(30), CLEAR),
                    Rules::slotRetention),
            new Rule(SETTINGS_DRIFT, ThresholdUnit.NONE, settings(null, null, Duration.ZERO, CLEAR), Rules::settingsDrift),
            // A standby without a slot whose primary's wal_keep_size covers less than a 10 minute outage at peak.
            new Rule(WAL_KEEP_SHORT, ThresholdUnit.DURATION, settings(600_000d, null, Duration.ZERO, Duration.ofMinutes(5)),
                    Rules::walKeepShort),
            // The primary's xmin horizon 10 million transactions old: WARNING; 100 million (half of
            // autovacuum_freeze_max_age's default 200 million): CRITICAL; held a minute before it fires.
            new Rule(XMIN_HORIZON, ThresholdUnit.COUNT, settings(10_000_000d, 100_000_000d, Duration.ofMinutes(1), CLEAR),
                    Rules::xminHorizon),
            // A logical slot's consumer 1 GiB behind the primary: WARNING; 16 GiB: CRITICAL; held a minute.
            new Rule(LOGICAL_SLOT_LAG, ThresholdUnit.BYTES, settings(1024 * MIB, 16384 * MIB, Duration.ofMinutes(1), CLEAR),
                    Rules::logicalSlotLag),
            // A logical slot's decoding spilled 1 GiB to disk within conflicts_window: WARNING.
            new Rule(LOGICAL_SLOT_SPILL, ThresholdUnit.BYTES, settings(1024 * MIB, null, Duration.ZERO, CLEAR),
                    Rules::logicalSlotSpill),
            // An enabled subscription without its apply worker for 10 s: CRITICAL; a disabled one: WARNING.
            new Rule(SUBSCRIPTION_DOWN, ThresholdUnit.NONE, settings(null, null, Duration.ofSeconds(10), CLEAR),
                    Rules::subscriptionDown),
            // Any apply or table sync error within conflicts_window: WARNING.
            new Rule(SUBSCRIPTION_ERRORS, ThresholdUnit.COUNT, settings(0d, null, Duration.ZERO, CLEAR),
                    Rules::subscriptionErrors),
            // A subscription's true time lag, read on its publisher when that is watched too: as LAG_TIME.
            new Rule(SUBSCRIPTION_LAG, ThresholdUnit.DURATION, settings(60_000d, 300_000d, Duration.ofSeconds(30), CLEAR),
                    Rules::subscriptionLag));

    /** Requested checkpoints in the window below this count are not judged (one manual CHECKPOINT is no trend). */
    public static final int CHECKPOINTS_MIN_REQUESTED = 3;

    /** A rule's defaults as the README's rule table shows them: {@code warning 60s, critical 5m, for 30s, clear_for 15s}. */
    public static String defaultsText(final Rule r) {
        final List<String> parts = new ArrayList<>();
        if (r.defaults().warning() != null) {
            parts.add("warning " + r.unit().format(r.defaults().warning()));
        }
        if (r.defaults().critical() != null) {
            parts.add("critical " + r.unit().format(r.defaults().critical()));
        }
        parts.add("for " + io.replwatch.runtime.config.Durations.format(r.defaults().enterFor()));
        parts.add("clear_for " + io.replwatch.runtime.config.Durations.format(r.defaults().clearFor()));
        return String.join(", ", parts);
    }

    /** The rule of a code, or null. */
    public static Rule byCode(final String code) {
        for (final Rule r : ALL) {
            if (r.code().equals(code)) {
                return r;
            }
        }
        return null;
    }

    private Rules() {
    }

    private static Optional<Finding> fire(final String rule, final HealthState s, final Double value, final Double threshold,
                                          final String unit, final String message) {
        return Optional.of(new Finding(rule, s, value, threshold, unit, message));
    }

    /** Rule: a poll that could not reach the server (refused, timed out) means the node is DOWN. */
    static Optional<Finding> nodeUnreachable(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.stale() && v.rejoining()) {
            // Back, but not streaming yet: it stays DOWN until it streams (or its grace ends and the receiver rule
            // takes over), so a restart goes DOWN -> HEALTHY without a detour through CRITICAL.
            final boolean planned = v.patroni() != null && v.patroni().planned();
            return fire(NODE_UNREACHABLE, planned ? HealthState.WARNING : HealthState.DOWN, null, null, null,
                    (planned ? "planned: " : "") + (v.isPrimary()
                    ? "reachable again; waiting for its synchronous standbys to stream (commits wait meanwhile)"
                    : "reachable again; waiting for its WAL receiver to stream"));
        }
        if (v.stale() || (v.status() != PollStatus.UNREACHABLE && v.status() != PollStatus.TIMEOUT)) {
            return Optional.empty();
        }
        final NodeView.Patroni p = v.patroni();
        if (p != null && p.planned() && !p.paused()) {
            return fire(NODE_UNREACHABLE, HealthState.WARNING, null, null, null, "planned: Patroni is " + p.selfState()
                    + " its PostgreSQL (a switchover or a restart it runs): " + v.message());
        }
        return fire(NODE_UNREACHABLE, HealthState.DOWN, null, null, null, p != null && p.paused()
                ? "maintenance (Patroni is paused): " + v.message() : v.message());
    }

    /** Rule: Patroni promoted this node while the old primary was alive (switchover or manual failover). */
    static Optional<Finding> switchover(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.failoverActive() || !v.failoverPlanned()) {
            return Optional.empty();
        }
        return fire(SWITCHOVER, HealthState.WARNING, null, null, null, "switchover (planned): " + v.node()
                + " is the new primary" + (v.failoverFrom() == null ? "" : " (was " + v.failoverFrom() + ")"));
    }

    /** Whether Patroni's synchronous_mode manages this cluster's synchronous standbys (then SYNC_DEGRADED judges). */
    private static boolean patroniSyncMode(final NodeView v) {
        return v.patroni() != null && v.patroni().error() == null && Boolean.TRUE.equals(v.patroni().synchronousMode());
    }

    private static NodeView.Patroni clusterPatroni(final NodeView v) {
        final NodeView.Patroni p = v.patroni();
        return p != null && p.clusterLevel() ? p : null;
    }

    /** Rule: none of the cluster's Patroni endpoints answers: its members, pause and leader are unknown. */
    static Optional<Finding> patroniUnreachable(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Patroni p = clusterPatroni(v);
        if (p == null || p.error() == null) {
            return Optional.empty();
        }
        return fire(PATRONI_UNREACHABLE, HealthState.WARNING, null, null, null, p.error());
    }

    /** Rule: Patroni's maintenance mode: no automatic failover; the alerter mutes the cluster's outage pages. */
    static Optional<Finding> patroniPaused(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Patroni p = clusterPatroni(v);
        if (p == null || p.error() != null || !p.paused()) {
            return Optional.empty();
        }
        return fire(PATRONI_PAUSED, HealthState.WARNING, null, null, null, "Patroni is paused (maintenance mode): it "
                + "will not fail over or restart anything; outages in this cluster are reported as maintenance");
    }

    /** Rule: Patroni answers and no member holds the leader key: nothing takes writes. */
    static Optional<Finding> patroniLeaderless(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Patroni p = clusterPatroni(v);
        if (p == null || p.error() != null || !p.leaderless()) {
            return Optional.empty();
        }
        return fire(PATRONI_LEADERLESS, HealthState.CRITICAL, null, null, null, "no member holds Patroni's leader key"
                + (p.paused() ? " (paused: Patroni will not elect one until it is resumed)" : ""));
    }

    /** Rule: this member has not reached the DCS for longer than the leader key's ttl. */
    static Optional<Finding> dcsUnreachable(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Patroni p = v.patroni();
        if (p == null || p.dcsUnseenMs() == null || p.ttlS() == null || p.dcsUnseenMs() <= p.ttlS() * 1000L) {
            return Optional.empty();
        }
        return fire(DCS_UNREACHABLE, HealthState.CRITICAL, (double) p.dcsUnseenMs(), p.ttlS() * 1000d, "ms",
                "Patroni on this node last reached its DCS " + p.dcsUnseenMs() / 1000 + " s ago (ttl " + p.ttlS()
                        + " s): a leader that cannot reach it demotes itself");
    }

    /** Rule: Patroni reports a setting changed that takes effect only at a restart. */
    static Optional<Finding> pendingRestart(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Patroni p = v.patroni();
        if (p == null || !p.pendingRestart()) {
            return Optional.empty();
        }
        return fire(PENDING_RESTART, HealthState.WARNING, null, null, null, "a changed setting waits for a restart "
                + "(Patroni: pending restart); until then the node runs with the old value");
    }

    /**
     * Rule: synchronous_mode on and no synchronous standby streaming. Non-strict, Patroni quietly empties
     * synchronous_standby_names (SYNC_STANDBY_MISSING cannot see it) and commits are acknowledged by the primary
     * alone: WARNING. Strict, commits wait: CRITICAL.
     */
    static Optional<Finding> syncDegraded(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Patroni p = clusterPatroni(v);
        if (p == null || !v.hasData() || !v.isPrimary() || !Boolean.TRUE.equals(p.synchronousMode())) {
            return Optional.empty();
        }
        if (v.syncMissing() != null && v.syncMissing() > 0) {
            // Patroni manages synchronous_standby_names: a named standby not streaming is one it has not replaced
            // yet (a restart it runs, for a second or two); held longer, commits wait.
            return fire(SYNC_DEGRADED, HealthState.CRITICAL, (double) v.syncMissing(), 0d, "standbys",
                    v.syncMissing() + " synchronous standby(s) named in '" + v.syncStandbyNames() + "' not streaming and"
                            + " not replaced by Patroni: commits wait");
        }
        if (p.syncStreaming()) {
            return Optional.empty();
        }
        return p.strict()
                ? fire(SYNC_DEGRADED, HealthState.CRITICAL, null, null, null, "synchronous_mode_strict is on and no "
                        + "synchronous standby streams: commits wait")
                : fire(SYNC_DEGRADED, HealthState.WARNING, null, null, null, "synchronous_mode is on but no synchronous "
                        + "standby streams: Patroni has fallen back to asynchronous replication, and a failover now may "
                        + "lose acknowledged commits");
    }

    /** Rule: no standby Patroni could promote if the primary failed now (failover-check names why, per standby). */
    static Optional<Finding> noFailoverCandidate(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Patroni p = clusterPatroni(v);
        if (p == null || !v.hasData() || !v.isPrimary() || v.failover() == null || v.failover().anyEligible()) {
            return Optional.empty();
        }
        return fire(NO_FAILOVER_CANDIDATE, HealthState.WARNING, (double) v.failover().ranked().size(), null, "standbys",
                "if the primary failed now nothing could be promoted: " + v.failover().why());
    }

    /** Rule: the server answered but would not let us see (auth, permission, error): we are blind, WARNING. */
    static Optional<Finding> monitoringFailed(final NodeView v, final Thresholds.RuleSettings t) {
        if (v.stale() || v.status() == PollStatus.OK || v.status() == PollStatus.UNREACHABLE
                || v.status() == PollStatus.TIMEOUT) {
            return Optional.empty();
        }
        return fire(MONITORING_FAILED, HealthState.WARNING, null, null, null, v.status() + ": " + v.message());
    }

    /** Rule: no sample for longer than the stale limit (wall clock): the collector or its path is gone. */
    static Optional<Finding> samplesStale(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.stale()) {
            return Optional.empty();
        }
        return fire(SAMPLES_STALE, HealthState.UNKNOWN, (double) v.staleForMs(), null, "ms",
                "no sample for " + v.staleForMs() / 1000 + " s");
    }

    /**
     * Rule: the collector's clock is off (a sample from the future, or a clock that jumped back): its times cannot be
     * trusted for time lag, so the processor used its own. Fix NTP on the collector's host.
     */
    static Optional<Finding> clockSkew(final NodeView v, final Thresholds.RuleSettings t) {
        if (v.stale() || v.clockSkewMs() == null) {
            return Optional.empty();
        }
        final long ms = v.clockSkewMs();
        return fire(CLOCK_SKEW, HealthState.WARNING, (double) ms, null, "ms", "the collector's clock is "
                + Math.abs(ms) / 1000 + " s " + (ms > 0 ? "ahead of" : "behind") + " the processor's or PostgreSQL's: "
                + "samples are taken at theirs; fix the collector host's time sync (NTP, chrony)");
    }

    /**
     * Rule: the node is another database system (its system identifier) than its cluster's primary: two clusters
     * are configured under one name. Not a failover, not split brain: a monitoring configuration to fix.
     */
    static Optional<Finding> clusterIdentityConflict(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || v.identityConflict() == null) {
            return Optional.empty();
        }
        return fire(CLUSTER_IDENTITY_CONFLICT, HealthState.WARNING, null, null, null, v.identityConflict());
    }

    /** Rule: two nodes of one cluster out of recovery at once: both take writes. */
    static Optional<Finding> splitBrain(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.splitBrain()) {
            return Optional.empty();
        }
        return fire(SPLIT_BRAIN, HealthState.CRITICAL, (double) v.splitBrainNodes().size(), 1d, "primaries",
                "more than one primary: " + String.join(", ", v.splitBrainNodes()));
    }

    /** Rule: this node became the cluster's primary (new identity or higher timeline) a short while ago. */
    static Optional<Finding> failover(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.failoverActive() || v.failoverPlanned()) {
            return Optional.empty();
        }
        return fire(FAILOVER, HealthState.WARNING, null, null, null,
                "failover: " + v.node() + " is the new primary" + (v.failoverFrom() == null ? "" : " (was " + v.failoverFrom() + ")"));
    }

    /**
     * Rule: a cascading standby receives nothing because the standby it streams from is DOWN: the cause is named,
     * in place of RECEIVER_DISCONNECTED and STANDBY_MISSING, and the alerter's default inhibition mutes it while its
     * upstream's NODE_UNREACHABLE fires (one page, about the cause).
     */
    static Optional<Finding> upstreamDown(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isStandby() || v.upstreamDown() == null) {
            return Optional.empty();
        }
        return fire(UPSTREAM_DOWN, HealthState.CRITICAL, null, null, null, UPSTREAM_PREFIX + v.upstreamDown()
                + UPSTREAM_SUFFIX);
    }

    private static final String UPSTREAM_PREFIX = "receives nothing from its upstream ";
    private static final String UPSTREAM_SUFFIX = ", which is DOWN";

    /** The upstream an UPSTREAM_DOWN finding names, or null for any other finding. */
    public static String upstreamNamed(final Finding f) {
        final String m = f.message();
        if (!UPSTREAM_DOWN.equals(f.rule()) || m == null || !m.startsWith(UPSTREAM_PREFIX) || !m.endsWith(UPSTREAM_SUFFIX)) {
            return null;
        }
        return m.substring(UPSTREAM_PREFIX.length(), m.length() - UPSTREAM_SUFFIX.length());
    }

    /** Rule: a standby whose WAL receiver is not streaming has lost its link, whatever receive == replay says. */
    /**
     * Rule: a standby that does not stream and replays an older timeline than its primary's: it has not followed a
     * failover. Usually it came back after the old timeline went on without it (an old primary rejoined without
     * pg_rewind): its WAL receiver is refused ("requested starting point ... is not in this server's history") and it
     * needs pg_rewind or a new base backup. Named instead of RECEIVER_DISCONNECTED and STANDBY_MISSING.
     */
    static Optional<Finding> timelineDiverged(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isStandby() || v.divergedTimeline() == null || "streaming".equals(v.receiverStatus())
                || v.standbyKind() == NodeView.StandbyKind.ARCHIVE || v.upstreamDown() != null) {
            return Optional.empty();
        }
        return fire(TIMELINE_DIVERGED, HealthState.CRITICAL, null, null, null, v.divergedTimeline()
                + ", and does not stream: it has not followed the failover. If its log says the requested starting point"
                + " is not in the server's history, it diverged: pg_rewind it (or take a new base backup)");
    }

    static Optional<Finding> receiverDisconnected(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isStandby() || "streaming".equals(v.receiverStatus())
                || v.standbyKind() == NodeView.StandbyKind.ARCHIVE || v.rejoining() || v.upstreamDown() != null
                || v.awaitingUpstream() || v.divergedTimeline() != null) {
            return Optional.empty();
        }
        return fire(RECEIVER_DISCONNECTED, HealthState.CRITICAL, null, null, null, "WAL receiver is "
                + (v.receiverStatus() == null ? "not running" : v.receiverStatus()) + ": the standby receives nothing");
    }

    /**
     * Rule: the primary's pg_stat_replication does not list this standby (and it is not streaming elsewhere). Judged
     * only while the standby answers: an unreachable standby is NODE_UNREACHABLE, and a STANDBY_MISSING fired
     * meanwhile would outlive it by its clear_for on the way back (DOWN, CRITICAL, HEALTHY).
     */
    static Optional<Finding> standbyMissing(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isStandby() || v.standbyListedUpstream() == null || v.standbyListedUpstream()
                || "streaming".equals(v.receiverStatus()) || v.standbyKind() == NodeView.StandbyKind.ARCHIVE
                || v.rejoining() || v.upstreamDown() != null || v.awaitingUpstream() || v.divergedTimeline() != null) {
            return Optional.empty();
        }
        return fire(STANDBY_MISSING, HealthState.CRITICAL, null, null, null,
                "the primary's pg_stat_replication does not list " + v.node());
    }

    /** Rule: replay does not move while the upstream's WAL does: WARNING, CRITICAL once stalled long enough. */
    static Optional<Finding> replayStalled(final NodeView v, final Thresholds.RuleSettings t) {
        // A standby whose upstream is DOWN receives nothing to replay: UPSTREAM_DOWN names the cause (and is muted
        // under the upstream's page); a stall of its own would page beside it. Nor while its upstream has just come
        // back and its WAL receiver has yet to reconnect (the reconnect grace, as for the receiver rules): the stall
        // is the outage's, already counted from before it, and would page the moment the upstream's page resolves.
        if (!v.hasData() || !v.isStandby() || v.trend() != LagTrend.STALLED || v.upstreamDown() != null
                || v.awaitingUpstream()) {
            return Optional.empty();
        }
        // A delayed or archive-fed standby's replay stands still by design for up to its expected lag.
        final long expected = v.expectedLagMs() == null ? 0 : v.expectedLagMs();
        final long stalled = v.stalledForMs() - expected;
        if (expected > 0 && stalled <= 0) {
            return Optional.empty();
        }
        final boolean critical = t.critical() != null && stalled >= t.critical();
        return fire(REPLAY_STALLED, critical ? HealthState.CRITICAL : HealthState.WARNING, (double) stalled,
                critical ? t.critical() : t.warning(), "ms",
                "replay has not moved for " + v.stalledForMs() / 1000 + " s while the primary writes"
                        + (expected > 0 ? ", " + (stalled + 999) / 1000 + " s beyond the " + expected / 1000
                        + " s expected of a " + kindText(v) : ""));
    }

    /** Rule: replay paused by hand (pg_wal_replay_pause) is a state someone must undo. */
    static Optional<Finding> replayPaused(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !Boolean.TRUE.equals(v.replayPaused())) {
            return Optional.empty();
        }
        return fire(REPLAY_PAUSED, HealthState.WARNING, null, null, null, "WAL replay is paused");
    }

    /** Rule: true time lag (not now() - last replay time) over the thresholds. */
    static Optional<Finding> lagTime(final NodeView v, final Thresholds.RuleSettings t) {
        final Long lag = v.hasData() && v.isStandby() ? v.timeLagMs() : null;
        final long expected = v.expectedLagMs() == null ? 0 : v.expectedLagMs();
        if (lag == null || expected <= 0) {
            return level(LAG_TIME, lag, t, "ms", x -> "time lag " + String.format("%.1f", x / 1000) + " s");
        }
        // Judged beyond the lag it has by design.
        return level(LAG_TIME, Math.max(0, lag - expected), t, "ms", x -> "time lag "
                + String.format("%.1f", lag / 1000d) + " s, " + String.format("%.1f", x / 1000) + " s beyond the "
                + expected / 1000 + " s expected of a " + kindText(v));
    }

    private static String kindText(final NodeView v) {
        return v.standbyKind() == NodeView.StandbyKind.ARCHIVE ? "standby fed from the archive" : "delayed standby";
    }

    /** Rule: replay lag in bytes over the thresholds. */
    static Optional<Finding> lagBytes(final NodeView v, final Thresholds.RuleSettings t) {
        // A delayed standby is behind in bytes by design (whatever its primary wrote within the delay); its link and
        // its time lag beyond the delay are what is judged.
        final boolean delayed = v.standbyKind() == NodeView.StandbyKind.DELAYED;
        return level(LAG_BYTES, v.hasData() && v.isStandby() && !delayed ? v.replayLagBytes() : null, t, "bytes",
                x -> "replay lag " + String.format("%.1f", x / (1024 * 1024)) + " MiB");
    }

    private static Optional<Finding> level(final String rule, final Long value, final Thresholds.RuleSettings t,
                                           final String unit, final java.util.function.DoubleFunction<String> msg) {
        if (value == null) {
            return Optional.empty();
        }
        if (t.critical() != null && value > t.critical()) {
            return fire(rule, HealthState.CRITICAL, (double) value, t.critical(), unit, msg.apply(value) + " over "
                    + "the critical threshold");
        }
        if (t.warning() != null && value > t.warning()) {
            return fire(rule, HealthState.WARNING, (double) value, t.warning(), unit, msg.apply(value) + " over "
                    + "the warning threshold");
        }
        return Optional.empty();
    }

    /** Rule: a synchronous standby named in synchronous_standby_names is not streaming: every commit waits. */
    static Optional<Finding> syncStandbyMissing(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isPrimary() || v.syncMissing() == null || v.syncMissing() <= 0 || v.rejoining()
                || patroniSyncMode(v)) {
            return Optional.empty();
        }
        return fire(SYNC_STANDBY_MISSING, HealthState.CRITICAL, (double) v.syncMissing(), 0d, "standbys",
                v.syncMissing() + " synchronous standby(s) named in '" + v.syncStandbyNames()
                        + "' not streaming: commits wait");
    }

    /** Rule: a slot whose WAL is no longer reserved (or soon will not be) loses its standby. */
    static Optional<Finding> slotWalAtRisk(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || v.slots() == null) {
            return Optional.empty();
        }
        final List<String> lost = new ArrayList<>();
        Long minSafe = null;
        String minSafeSlot = null;
        for (final NodeView.SlotView s : v.slots()) {
            if ("lost".equals(s.walStatus()) || "unreserved".equals(s.walStatus())) {
                lost.add(s.name() + " (" + s.walStatus() + ")");
            } else if (s.safeWalSize() != null && (minSafe == null || s.safeWalSize() < minSafe)) {
                minSafe = s.safeWalSize();
                minSafeSlot = s.name();
            }
        }
        if (!lost.isEmpty()) {
            return fire(SLOT_WAL_AT_RISK, HealthState.CRITICAL, (double) lost.size(), 0d, "slots",
                    "slot WAL no longer reserved: " + String.join(", ", lost));
        }
        if (minSafe != null && t.warning() != null && minSafe < t.warning()) {
            return fire(SLOT_WAL_AT_RISK, HealthState.WARNING, (double) minSafe, t.warning(), "bytes", "slot "
                    + minSafeSlot + " is " + minSafe / (1024 * 1024) + " MiB from losing its WAL");
        }
        return Optional.empty();
    }

    /** Rule: a permanent slot nobody consumes holds WAL back without limit. */
    static Optional<Finding> slotInactive(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || v.slots() == null) {
            return Optional.empty();
        }
        // Every primary's every sample: a loop that allocates nothing when no slot is idle (the common case).
        List<NodeView.SlotView> idle = null;
        for (final NodeView.SlotView s : v.slots()) {
            if (!s.active() && !s.temporary()) {
                if (idle == null) {
                    idle = new java.util.ArrayList<>();
                }
                idle.add(s);
            }
        }
        if (idle == null) {
            return Optional.empty();
        }
        final long retained = idle.stream().mapToLong(s -> s.retainedBytes() == null ? 0 : s.retainedBytes()).max().orElse(0);
        return fire(SLOT_INACTIVE, HealthState.WARNING, (double) retained, null, "bytes", "inactive slot(s) "
                + idle.stream().map(NodeView.SlotView::name).toList() + " retain up to " + retained / (1024 * 1024) + " MiB");
    }

    /** Rule: WAL senders or replication slots nearly used up: the next standby cannot connect. */
    static Optional<Finding> sendersExhausted(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || t.warning() == null) {
            return Optional.empty();
        }
        if (v.maxWalSenders() != null && v.maxWalSenders() > 0) {
            final double used = (double) v.walSenders() / v.maxWalSenders();
            if (used >= t.warning()) {
                return fire(SENDERS_EXHAUSTED, HealthState.WARNING, used, t.warning(), "ratio",
                        v.walSenders() + " of " + v.maxWalSenders() + " WAL senders in use");
            }
        }
        if (v.maxReplicationSlots() != null && v.maxReplicationSlots() > 0 && v.slots() != null) {
            final double used = (double) v.slots().size() / v.maxReplicationSlots();
            if (used >= t.warning()) {
                return fire(SENDERS_EXHAUSTED, HealthState.WARNING, used, t.warning(), "ratio",
                        v.slots().size() + " of " + v.maxReplicationSlots() + " replication slots in use");
            }
        }
        return Optional.empty();
    }

    /** Rule: many recovery conflicts in the window: queries on the standby are being cancelled. */
    static Optional<Finding> conflicts(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isStandby() || t.warning() == null || v.conflictsInWindow() <= t.warning()) {
            return Optional.empty();
        }
        return fire(CONFLICTS, HealthState.WARNING, (double) v.conflictsInWindow(), t.warning(), "count",
                v.conflictsInWindow() + " recovery conflicts in the window");
    }

    /**
     * Rule: the archiver of a node that archives is failing (its last attempt failed after its last success, and
     * recently: a demoted node's stale counters never fire). WAL cannot be recycled until archived, so the disk
     * fills, and point-in-time recovery has a hole. CRITICAL once failing for the critical duration.
     */
    static Optional<Finding> archiveFailing(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Archiving a = v.archiving();
        if (!v.hasData() || a == null || !a.failing()) {
            return Optional.empty();
        }
        final long forMs = a.failingForMs() == null ? 0 : a.failingForMs();
        final boolean critical = t.critical() != null && forMs >= t.critical();
        return fire(ARCHIVE_FAILING, critical ? HealthState.CRITICAL : HealthState.WARNING, (double) forMs,
                critical ? t.critical() : t.warning(), "ms", "archive_command failing"
                        + (a.lastFailedWal() == null ? "" : " on " + a.lastFailedWal())
                        + " (" + a.failedCount() + " failure(s) since the counters' reset)"
                        + (a.failingForMs() == null ? "" : " for " + forMs / 1000 + " s")
                        + (a.readyCount() == null ? "" : "; " + a.readyCount() + " segment(s) waiting"));
    }

    /** Rule: the oldest WAL segment waiting for the archiver is old: archiving falls behind (or is failing). */
    static Optional<Finding> archiveLag(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Archiving a = v.archiving();
        return level(ARCHIVE_LAG, v.hasData() && a != null ? a.oldestReadyAgeMs() : null, t, "ms",
                x -> "the oldest WAL segment waiting for the archiver was completed " + (long) (x / 1000) + " s ago ("
                        + a.readyCount() + " waiting)");
    }

    /**
     * Rule: most checkpoints in the window were requested (WAL reached max_wal_size) rather than timed: each costs a
     * burst of full-page writes and I/O. The reason gives the WAL rate and a max_wal_size that would fit it.
     */
    static Optional<Finding> checkpointsForced(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.Checkpoints c = v.checkpoints();
        if (!v.hasData() || c == null || t.warning() == null || c.requested() < CHECKPOINTS_MIN_REQUESTED) {
            return Optional.empty();
        }
        final long forced = forcedByVolume(c);
        if (forced < CHECKPOINTS_MIN_REQUESTED) {
            return Optional.empty();
        }
        final double share = (double) forced / (c.requested() + c.timed());
        if (share < t.warning()) {
            return Optional.empty();
        }
        final StringBuilder msg = new StringBuilder().append(forced).append(" of ")
                .append(c.requested() + c.timed()).append(" checkpoints in the last ")
                .append(c.windowMs() >= 120_000 ? c.windowMs() / 60_000 + " min" : c.windowMs() / 1000 + " s")
                .append(" were forced by WAL volume");
        if (c.walBytesPerSecond() != null && c.checkpointTimeoutS() != null) {
            // WAL between two timed checkpoints, and max_wal_size of about twice that (it also covers the spread
            // of checkpoint_completion_target): the size at which checkpoints come from the timeout again.
            final double perCheckpoint = c.walBytesPerSecond() * c.checkpointTimeoutS();
            final long fitMb = (long) Math.ceil(2 * perCheckpoint / MIB / 64) * 64;
            msg.append(": WAL at ").append(String.format("%.1f", c.walBytesPerSecond() / MIB)).append(" MiB/s is ")
                    .append((long) (perCheckpoint / MIB)).append(" MiB per checkpoint_timeout (")
                    .append(c.checkpointTimeoutS()).append(" s); max_wal_size ")
                    .append(c.maxWalSizeMb() == null ? "" : "is " + c.maxWalSizeMb() + " MB, ")
                    .append("about ").append(Math.max(fitMb, 64)).append(" MB would fit it");
        }
        return fire(CHECKPOINTS_FORCED, HealthState.WARNING, share, t.warning(), "ratio", msg.toString());
    }

    /**
     * How many of the window's requested checkpoints WAL volume can account for. PostgreSQL requests one each time
     * max_wal_size / (1 + checkpoint_completion_target) of WAL (0.9 by default: about half of max_wal_size) has been
     * written since the last; the window's WAL divided by that distance bounds them. The rest were asked for
     * (CHECKPOINT, a base backup, a restart) and say nothing about max_wal_size. Unknown rate or settings: none can
     * be told from those, so none is counted (a primary's first samples after a promotion have no rate yet, and a
     * switchover's or rewind's own checkpoints would otherwise hold a WARNING for the rule's 5-minute clear_for).
     */
    static long forcedByVolume(final NodeView.Checkpoints c) {
        if (c.walBytesPerSecond() == null || c.maxWalSizeMb() == null || c.maxWalSizeMb() <= 0) {
            return 0;
        }
        final double distance = c.maxWalSizeMb() * MIB / 1.9;
        final long possible = (long) Math.floor(c.walBytesPerSecond() * c.windowMs() / 1000.0 / distance);
        return Math.min(c.requested(), possible);
    }

    /** Rule: a slot, active or not, holds back more WAL than the thresholds, whatever its wal_status says. */
    static Optional<Finding> slotRetention(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || v.slots() == null) {
            return Optional.empty();
        }
        NodeView.SlotView worst = null;
        for (final NodeView.SlotView s : v.slots()) {
            if (s.retainedBytes() != null && (worst == null || s.retainedBytes() > worst.retainedBytes())) {
                worst = s;
            }
        }
        final NodeView.SlotView w = worst;
        return level(SLOT_RETENTION, w == null ? null : w.retainedBytes(), t, "bytes", x -> "slot " + w.name() + " ("
                + (w.active() ? "active" : "inactive") + ") retains " + String.format("%.1f", x / MIB) + " MiB of WAL");
    }

    /**
     * Rule: the primary's xmin horizon is old: vacuum cannot remove any row deleted after it, in any table, so
     * tables and indexes bloat while it holds, and past autovacuum_freeze_max_age anti-wraparound vacuums cannot
     * finish. The reason names the holder and what to do about it.
     */
    static Optional<Finding> xminHorizon(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.XminHolder h = v.horizon();
        if (!v.hasData() || !v.isPrimary() || h == null) {
            return Optional.empty();
        }
        final boolean critical = t.critical() != null && h.ageXids() > t.critical();
        if (!critical && (t.warning() == null || h.ageXids() <= t.warning())) {
            return Optional.empty();
        }
        return fire(XMIN_HORIZON, critical ? HealthState.CRITICAL : HealthState.WARNING, (double) h.ageXids(),
                critical ? t.critical() : t.warning(), "transactions", "the xmin horizon is " + h.ageXids()
                        + " transactions old, held by " + holder(h) + ": vacuum removes nothing deleted since; "
                        + remedy(h));
    }

    /**
     * Rule: a logical slot's consumer (CDC, a subscription) is far behind the primary: its confirmed_flush_lsn is the
     * freshness of everything downstream of it, and the slot keeps the WAL since. The worst slot is named with its
     * trend: stalled (its consumer confirms nothing), falling behind, or catching up with an ETA.
     */
    static Optional<Finding> logicalSlotLag(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isPrimary() || v.logicalSlots() == null || v.logicalSlots().isEmpty()) {
            return Optional.empty();
        }
        NodeView.LogicalSlot worst = null;
        for (final NodeView.LogicalSlot s : v.logicalSlots()) {
            if (worst == null || s.lagBytes() > worst.lagBytes()) {
                worst = s;
            }
        }
        final NodeView.LogicalSlot w = worst;
        final boolean critical = t.critical() != null && w.lagBytes() > t.critical();
        if (!critical && (t.warning() == null || w.lagBytes() <= t.warning())) {
            return Optional.empty();
        }
        return fire(LOGICAL_SLOT_LAG, critical ? HealthState.CRITICAL : HealthState.WARNING, (double) w.lagBytes(),
                critical ? t.critical() : t.warning(), "bytes", "logical slot " + w.name() + " ("
                        + (w.active() ? "active" + (w.consumer() == null ? "" : ", streamed to " + w.consumer())
                        : "inactive, nothing consuming it")
                        + (w.plugin() == null ? "" : ", plugin " + w.plugin())
                        + (w.database() == null ? "" : ", database " + w.database()) + ") is "
                        + String.format("%.1f", w.lagBytes() / MIB) + " MiB"
                        + (w.timeLagMs() == null ? "" : String.format(" (%.1f s)", w.timeLagMs() / 1000.0))
                        + " behind the primary, " + consumerTrend(w));
    }

    /**
     * Rule: a subscription that applies nothing. Enabled without an apply worker (it exits on every error and is
     * restarted, or cannot connect to the publisher): CRITICAL. Disabled (by hand, or by disable_on_error): WARNING,
     * since its slot on the publisher keeps WAL meanwhile.
     */
    static Optional<Finding> subscriptionDown(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || v.subscriptions() == null) {
            return Optional.empty();
        }
        NodeView.SubscriptionView disabled = null;
        for (final NodeView.SubscriptionView s : v.subscriptions()) {
            if (s.enabled() && !s.applyRunning()) {
                return fire(SUBSCRIPTION_DOWN, HealthState.CRITICAL, null, null, null, "subscription " + s.name()
                        + " is enabled but no apply worker runs: nothing is applied (the subscriber's log says why:"
                        + " an apply error, or the publisher unreachable)");
            }
            if (!s.enabled() && disabled == null) {
                disabled = s;
            }
        }
        return disabled == null ? Optional.empty() : fire(SUBSCRIPTION_DOWN, HealthState.WARNING, null, null, null,
                "subscription " + disabled.name() + " is disabled: nothing is applied, and its slot"
                        + (disabled.slotName() == null ? "" : " " + disabled.slotName())
                        + " keeps WAL on the publisher (ALTER SUBSCRIPTION " + disabled.name() + " ENABLE)");
    }

    /** Rule: a subscription's apply or table sync errors rose within the conflicts window. */
    static Optional<Finding> subscriptionErrors(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || v.subscriptions() == null) {
            return Optional.empty();
        }
        NodeView.SubscriptionView worst = null;
        for (final NodeView.SubscriptionView s : v.subscriptions()) {
            if (worst == null || s.errorsInWindow() > worst.errorsInWindow()) {
                worst = s;
            }
        }
        if (worst == null || worst.errorsInWindow() <= 0) {
            return Optional.empty();
        }
        final NodeView.SubscriptionView w = worst;
        if (t.warning() != null && w.errorsInWindow() <= t.warning()) {
            return Optional.empty();
        }
        return fire(SUBSCRIPTION_ERRORS, HealthState.WARNING, (double) w.errorsInWindow(), t.warning(), "errors",
                "subscription " + w.name() + ": " + w.errorsInWindow() + " error(s) within the window ("
                + w.applyErrors() + " apply, " + w.syncErrors() + " table sync since the counters' reset): a row that"
                + " conflicts, a missing table or column, or a permission on the subscriber; its log names it; fix it,"
                + " or skip the transaction (ALTER SUBSCRIPTION " + w.name() + " SKIP)");
    }

    /**
     * Rule: a subscription behind its publisher. Its true time lag comes from the publisher's side (how long ago
     * the publisher's WAL was where the subscription's slot has confirmed), so it needs the publisher watched too
     * and matched ({@link NodeView.Publisher}); an idle publisher gives zero, not a clock that climbs. The worst
     * subscription is named with its publisher, slot, trend and catch-up ETA.
     */
    static Optional<Finding> subscriptionLag(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || v.subscriptions() == null) {
            return Optional.empty();
        }
        NodeView.SubscriptionView worst = null;
        for (final NodeView.SubscriptionView s : v.subscriptions()) {
            if (s.publisher() != null && s.publisher().timeLagMs() != null && (worst == null
                    || s.publisher().timeLagMs() > worst.publisher().timeLagMs())) {
                worst = s;
            }
        }
        if (worst == null) {
            return Optional.empty();
        }
        final NodeView.Publisher p = worst.publisher();
        final long lag = p.timeLagMs();
        final boolean critical = t.critical() != null && lag > t.critical();
        if (!critical && (t.warning() == null || lag <= t.warning())) {
            return Optional.empty();
        }
        final String trend = switch (p.trend() == null ? LagTrend.UNKNOWN : p.trend()) {
            case STALLED -> "stalled: nothing is confirmed (a lock or a long transaction on the subscriber blocks the"
                    + " apply worker, or it is down)";
            case FALLING_BEHIND -> "falling behind: the apply worker is slower than the publisher's writes";
            case CATCHING_UP -> "catching up" + (p.catchUpEtaMs() == null ? "" : ", about "
                    + io.replwatch.runtime.config.Durations.format(Duration.ofSeconds(Math.max(1, p.catchUpEtaMs() / 1000)))
                    + " to go");
            default -> "steady";
        };
        return fire(SUBSCRIPTION_LAG, critical ? HealthState.CRITICAL : HealthState.WARNING, (double) lag,
                critical ? t.critical() : t.warning(), "ms", "subscription " + worst.name() + " is "
                        + String.format("%.1f", lag / 1000.0) + " s behind its publisher " + p.cluster() + "/" + p.node()
                        + " (slot " + p.slot() + (p.lagBytes() == null ? "" : String.format(", %.1f MiB",
                        p.lagBytes() / MIB)) + "), " + trend);
    }

    /**
     * Rule: logical decoding of a slot spills large transactions to disk (pg_stat_replication_slots, 14+): its
     * consumer waits on disk I/O and the primary's disk fills with spill files. The slot that spilled most within the
     * window is named.
     */
    static Optional<Finding> logicalSlotSpill(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isPrimary() || v.logicalSlots() == null) {
            return Optional.empty();
        }
        NodeView.LogicalSlot worst = null;
        for (final NodeView.LogicalSlot s : v.logicalSlots()) {
            if (worst == null || s.spilledBytesInWindow() > worst.spilledBytesInWindow()) {
                worst = s;
            }
        }
        if (worst == null || worst.spilledBytesInWindow() <= 0) {
            return Optional.empty();
        }
        final NodeView.LogicalSlot w = worst;
        if (t.warning() != null && w.spilledBytesInWindow() <= t.warning()) {
            return Optional.empty();
        }
        return fire(LOGICAL_SLOT_SPILL, HealthState.WARNING, (double) w.spilledBytesInWindow(), t.warning(), "bytes",
                "logical slot " + w.name() + " spilled " + String.format("%.1f", w.spilledBytesInWindow() / MIB)
                        + " MiB to disk within the window" + (w.spillTxns() == null ? "" : " (" + w.spillTxns()
                        + " transaction(s) spilled since the counters' reset)") + ": decoding its large transactions"
                        + " exceeds logical_decoding_work_mem; raise it, or have the consumer stream them (a"
                        + " subscription's streaming = on, 14+)");
    }

    private static String consumerTrend(final NodeView.LogicalSlot w) {
        final String rate = w.consumeBytesPerSecond() == null ? ""
                : String.format(" (consuming %.1f MiB/s", w.consumeBytesPerSecond() / MIB)
                        + (w.walBytesPerSecond() == null ? ")" : String.format(", the primary writes %.1f MiB/s)",
                        w.walBytesPerSecond() / MIB));
        return switch (w.trend() == null ? LagTrend.UNKNOWN : w.trend()) {
            case STALLED -> "stalled for " + io.replwatch.runtime.config.Durations.format(Duration.ofSeconds(
                    w.stalledForMs() / 1000)) + ": its consumer confirms nothing; restart it, or drop the slot if"
                    + " nothing will consume it";
            case FALLING_BEHIND -> "falling behind" + rate + ": its consumer is slower than the primary's writes";
            case CATCHING_UP -> "catching up" + rate + (w.catchUpEtaMs() == null ? "" : ", about "
                    + io.replwatch.runtime.config.Durations.format(Duration.ofSeconds(Math.max(1, w.catchUpEtaMs() / 1000)))
                    + " to go");
            default -> (w.consumeBytesPerSecond() != null && w.consumeBytesPerSecond() <= 0
                    && w.walBytesPerSecond() != null && w.walBytesPerSecond() > 0 ? "not moving" : "steady") + rate;
        };
    }

    private static String holder(final NodeView.XminHolder h) {
        final String held = h.heldForMs() == null ? ""
                : ", open " + io.replwatch.runtime.config.Durations.format(Duration.ofSeconds(Math.max(0, h.heldForMs() / 1000)));
        return switch (h.kind()) {
            case SLOT -> "replication slot " + h.name() + (h.detail() == null ? "" : " (" + h.detail() + ")");
            case LOGICAL_SLOT -> "logical replication slot " + h.name() + " (catalog_xmin"
                    + (h.detail() == null ? "" : "; " + h.detail()) + ")";
            case STANDBY_FEEDBACK -> "standby " + h.name() + "'s hot_standby_feedback (a query running on it"
                    + (h.detail() == null ? "" : "; " + h.detail()) + ")";
            case TRANSACTION -> "backend pid " + h.name() + " (" + (h.detail() == null ? "" : h.detail()) + held + ")";
            case PREPARED -> "prepared transaction '" + h.name() + "' (" + (h.detail() == null ? "" : h.detail()) + held + ")";
        };
    }

    private static String remedy(final NodeView.XminHolder h) {
        return switch (h.kind()) {
            case SLOT -> "drop the slot if its standby is gone (pg_drop_replication_slot), or bring the standby back";
            case LOGICAL_SLOT -> "restart the slot's consumer, or drop the slot if nothing will consume it";
            case STANDBY_FEEDBACK -> "end the long query on the standby, or turn hot_standby_feedback off there"
                    + " (its queries may then be cancelled by recovery conflicts)";
            case TRANSACTION -> "end the transaction (pg_terminate_backend(" + h.name() + ")) and fix the client"
                    + " that leaves it open (idle_in_transaction_session_timeout bounds it)";
            case PREPARED -> "COMMIT PREPARED or ROLLBACK PREPARED '" + h.name() + "' (its transaction manager forgot it)";
        };
    }

    /** Rule: a standby setting below its primary's: PostgreSQL refuses to start (or pauses) such a standby. */
    static Optional<Finding> settingsDrift(final NodeView v, final Thresholds.RuleSettings t) {
        if (!v.hasData() || !v.isStandby() || v.settingsDrift() == null) {
            return Optional.empty();
        }
        return fire(SETTINGS_DRIFT, HealthState.WARNING, null, null, null, v.settingsDrift()
                + ": after a restart this standby will not start or will pause replay; raise it to the primary's");
    }

    /**
     * Rule: a streaming standby without a slot, whose primary keeps too little WAL (wal_keep_size) to cover an
     * outage of the warning duration at its recent peak WAL rate: after a longer outage the standby cannot catch up
     * from the primary and must be re-cloned (or fetch from the archive). Below the warning it is not at risk.
     */
    static Optional<Finding> walKeepShort(final NodeView v, final Thresholds.RuleSettings t) {
        final NodeView.WalKeep k = v.walKeep();
        if (!v.hasData() || !v.isStandby() || k == null || t.warning() == null || k.peakBytesPerSecond() <= 0) {
            return Optional.empty();
        }
        final long covers = k.coversMs();
        if (covers >= t.warning()) {
            return Optional.empty();
        }
        return fire(WAL_KEEP_SHORT, HealthState.WARNING, (double) covers, t.warning(), "ms", "no replication slot: the"
                + " primary keeps wal_keep_size = " + k.keepBytes() / (1024 * 1024) + " MB, " + covers / 1000
                + " s of WAL at its recent peak of " + String.format("%.1f", k.peakBytesPerSecond() / MIB)
                + " MiB/s; an outage longer than that needs a re-clone"
                + (k.archiveFallback() ? " unless the archive has the WAL (it has a restore_command)" : "")
                + ": use a slot (with max_slot_wal_keep_size) or raise wal_keep_size");
    }
}
