package io.replwatch.processor;

import static io.replwatch.processor.SandboxPipeline.reason;
import static io.replwatch.processor.SandboxPipeline.rules;
import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.processor.health.Rules;
import io.replwatch.sandbox.PostgresCluster;
import io.replwatch.sandbox.Sandbox;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 15 on real PostgreSQL, through the real collector and processor: what fills disks and breaks standbys beyond
 * the streaming link. Each case pulls a sandbox lever and reads the transitions back; the times printed are the
 * detection times RELIABILITY.md reports.
 */
@Tag("chaos")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BeyondStreamingIT {

    private static final Logger LOG = LoggerFactory.getLogger(BeyondStreamingIT.class);

    private static Sandbox sandbox;
    private static PostgresCluster pg;
    private static SandboxPipeline pipe;

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.builder().tempDir("beyond-it-").standbys(2).start();
        pg = sandbox.postgres();
        pg.enableArchiving();
        // A segment is archived at least every 10 s, so the standby fed from the archive is at most that far behind.
        pg.setOnPrimary("archive_timeout", "10s");
        pg.addArchiveStandby("archive1");
        pg.addCascadingStandby("cascade1", "standby2");
        // Timed checkpoints every 30 s: the tests' load (about 10 MiB/s) never reaches max_wal_size (1GB) between two,
        // so CHECKPOINTS_FORCED can only come from its own case's lever.
        pg.setOnPrimary("checkpoint_timeout", "30s");
        // What the primary keeps for a standby without a slot (WAL_KEEP_SHORT's case), set before anything watches.
        pg.setOnPrimary("wal_keep_size", "16MB");
        // Lag judged tightly (10 s), so that a 30 s delayed standby judged like any other would fire.
        pipe = new SandboxPipeline(sandbox, "beyond-it", """
                stale_min: 5s
                lag_window: 10s
                rules:
                  LAG_TIME: {warning: 10s, critical: 60s, for: 2s, clear_for: 3s}
                  REPLAY_STALLED: {critical: 5s, clear_for: 3s}
                  NODE_UNREACHABLE: {clear_for: 0s}
                  RECEIVER_DISCONNECTED: {clear_for: 3s}
                  STANDBY_MISSING: {clear_for: 3s}
                  ARCHIVE_FAILING: {clear_for: 2s}
                  ARCHIVE_LAG: {warning: 20s, critical: 10m, clear_for: 2s}
                  SLOT_RETENTION: {warning: 128MB, critical: 1GB, for: 0s, clear_for: 2s}
                  XMIN_HORIZON: {warning: 2000, critical: 1000000000, for: 0s, clear_for: 2s}
                  LOGICAL_SLOT_LAG: {warning: 64MB, critical: 10GB, for: 0s, clear_for: 2s}
                  LOGICAL_SLOT_SPILL: {warning: 16MB, clear_for: 2s}
                """, "settings_refresh: 1s");
        for (final String n : List.of("primary", "standby1", "standby2", "archive1", "cascade1")) {
            pipe.awaitTransition(n, 0, Duration.ofSeconds(60), t -> t.getToState() == HealthState.HEALTHY);
        }
    }

    @AfterAll
    static void down() throws InterruptedException {
        SandboxPipeline.closeAll(pipe, sandbox);
    }

    /**
     * A standby stopped for longer than STANDBY_MISSING's 10 s and started again goes DOWN -> HEALTHY, with no CRITICAL
     * (STANDBY_MISSING held for its clear_for) on the way back.
     */
    @Test
    @Order(1)
    void aRestartedStandbyComesBackWithoutADetour() throws InterruptedException {
        final int mark = pipe.transitions.size();
        pg.stop("standby2");
        pipe.awaitTransition("standby2", mark, Duration.ofSeconds(30), t -> t.getToState() == HealthState.DOWN);
        Thread.sleep(12_000); // the outage itself: longer than STANDBY_MISSING's for (10 s)
        final int down = pipe.transitions.size();
        final long started = System.currentTimeMillis();
        pg.start("standby2");
        final HealthTransition back = pipe.awaitTransition("standby2", down, Duration.ofSeconds(60),
                t -> t.getToState() == HealthState.HEALTHY);
        LOG.info("MEASURED restart: HEALTHY {} ms after pg_ctl start returned", back.getAt().toEpochMilli() - started);
        final List<HealthTransition> after = pipe.of("standby2", mark);
        assertThat(after).as("standby2's transitions from the stop to HEALTHY").extracting(HealthTransition::getToState)
                .containsExactly(HealthState.DOWN, HealthState.HEALTHY);
    }

    /**
     * The primary stopped and started: one page, the primary's (DOWN), its standbys UPSTREAM_DOWN naming it (muted
     * under it by the alerter), and on the way back no SYNC_STANDBY_MISSING on the primary and no RECEIVER_DISCONNECTED
     * or STANDBY_MISSING on the standbys: each goes to HEALTHY when it streams again.
     */
    @Test
    @Order(2)
    void aRestartedPrimaryTakesItsStandbysBackWithIt() {
        final int mark = pipe.transitions.size();
        pg.stop("primary");
        pipe.awaitTransition("primary", mark, Duration.ofSeconds(30), t -> t.getToState() == HealthState.DOWN);
        for (final String s : List.of("standby1", "standby2")) {
            final HealthTransition up = pipe.awaitTransition(s, mark, Duration.ofSeconds(30),
                    t -> rules(t).contains(Rules.UPSTREAM_DOWN));
            assertThat(reason(up, Rules.UPSTREAM_DOWN)).contains("from its upstream primary, which is DOWN");
        }
        final int down = pipe.transitions.size();
        final long started = System.currentTimeMillis();
        pg.start("primary");
        final HealthTransition primaryBack = pipe.awaitTransition("primary", down, Duration.ofSeconds(60),
                t -> t.getToState() == HealthState.HEALTHY);
        for (final String s : List.of("standby1", "standby2")) {
            final HealthTransition back = pipe.awaitTransition(s, down, Duration.ofSeconds(60),
                    t -> t.getToState() == HealthState.HEALTHY);
            LOG.info("MEASURED primary restart: {} HEALTHY {} ms after pg_ctl start returned (the primary {} ms)", s,
                    back.getAt().toEpochMilli() - started, primaryBack.getAt().toEpochMilli() - started);
            assertThat(pipe.of(s, mark)).as(s + " from the primary's stop to HEALTHY").allSatisfy(t -> {
                assertThat(t.getToState()).isIn(HealthState.CRITICAL, HealthState.HEALTHY);
                assertThat(rules(t)).isSubsetOf(Rules.UPSTREAM_DOWN);
            });
        }
        assertThat(pipe.of("primary", mark)).as("the primary from its stop to HEALTHY")
                .extracting(HealthTransition::getToState).containsExactly(HealthState.DOWN, HealthState.HEALTHY);
    }

    /** archive_command failing: ARCHIVE_FAILING on the primary within two polls of a failed attempt; recovered: cleared. */
    @Test
    @Order(3)
    void archivingThatFailsIsNamedAndItsRecoveryClearsIt() {
        final int mark = pipe.transitions.size();
        pg.failArchiving(true);
        final long lever = System.currentTimeMillis();
        pg.generateWal(2); // completes segments the archiver must now try
        final HealthTransition failing = pipe.awaitTransition("primary", mark, Duration.ofSeconds(30),
                t -> rules(t).contains(Rules.ARCHIVE_FAILING));
        LOG.info("MEASURED archive failing: {} ms after the lever", failing.getAt().toEpochMilli() - lever);
        assertThat(failing.getToState()).isEqualTo(HealthState.WARNING);
        assertThat(reason(failing, Rules.ARCHIVE_FAILING)).contains("archive_command failing on 0000000");
        final int recovered = pipe.transitions.size();
        final long fixed = System.currentTimeMillis();
        pg.failArchiving(false);
        final HealthTransition cleared = pipe.awaitTransition("primary", recovered, Duration.ofSeconds(60),
                t -> t.getCleared().contains(Rules.ARCHIVE_FAILING));
        LOG.info("MEASURED archive recovered: cleared {} ms after the fix", cleared.getAt().toEpochMilli() - fixed);
        assertThat(cleared.getToState()).isEqualTo(HealthState.HEALTHY);
    }

    /** A standby delayed 30 s under steady writes: no LAG_TIME, no REPLAY_STALLED (lag is judged beyond the delay). */
    @Test
    @Order(4)
    void aDelayedStandbyUnderWritesIsNotLagging() {
        pg.delayApply("standby2", Duration.ofSeconds(30));
        final int mark = pipe.transitions.size();
        final long end = System.currentTimeMillis() + 45_000;
        while (System.currentTimeMillis() < end) {
            pg.generateWal(1);
        }
        final List<HealthTransition> seen = pipe.of("standby2", mark);
        assertThat(seen).as("standby2 while 30 s behind by design, over 45 s of writes")
                .noneMatch(t -> rules(t).contains(Rules.LAG_TIME) || rules(t).contains(Rules.REPLAY_STALLED)
                        || rules(t).contains(Rules.LAG_BYTES));
        // Its lag is really there: the same standby undelayed catches up at once; while delayed it was 30 s behind.
        pg.delayApply("standby2", Duration.ZERO);
    }

    /**
     * A standby fed from the archive: never streaming is its design (no RECEIVER_DISCONNECTED, no STANDBY_MISSING,
     * though the primary does not list it); when archiving stops under writes its replay stalls beyond the archive
     * interval, and REPLAY_STALLED says so.
     */
    @Test
    @Order(5)
    void aStandbyFedFromTheArchiveIsHealthyUntilArchivingStops() {
        assertThat(pipe.of("archive1", 0)).as("archive1 since it was first seen")
                .noneMatch(t -> rules(t).contains(Rules.RECEIVER_DISCONNECTED) || rules(t).contains(Rules.STANDBY_MISSING));
        final int mark = pipe.transitions.size();
        pg.failArchiving(true);
        final long lever = System.currentTimeMillis();
        final long end = lever + 120_000;
        HealthTransition stalled = null;
        try {
            while (stalled == null && System.currentTimeMillis() < end) {
                pg.generateWal(1);
                stalled = pipe.of("archive1", mark).stream().filter(t -> rules(t).contains(Rules.REPLAY_STALLED))
                        .findFirst().orElse(null);
            }
        } finally {
            pg.failArchiving(false);
        }
        assertThat(stalled).as("REPLAY_STALLED on archive1 within 2 minutes of archiving stopping").isNotNull();
        LOG.info("MEASURED archive-fed stall: {} ms after archiving stopped; {}", stalled.getAt().toEpochMilli() - lever,
                reason(stalled, Rules.REPLAY_STALLED));
        assertThat(reason(stalled, Rules.REPLAY_STALLED)).contains("s beyond the 40 s expected of a standby fed from the archive");
        assertThat(stalled.getAt().toEpochMilli() - lever).as("not before the archive interval (10 s) and slack (30 s)")
                .isGreaterThanOrEqualTo(40_000);
        // Meanwhile on the primary: segments waiting for the archiver longer than ARCHIVE_LAG's 20 s (this IT's).
        final HealthTransition lag = pipe.awaitTransition("primary", mark, Duration.ofSeconds(5),
                t -> rules(t).contains(Rules.ARCHIVE_LAG));
        LOG.info("MEASURED archive lag: {} ms after archiving stopped; {}", lag.getAt().toEpochMilli() - lever,
                reason(lag, Rules.ARCHIVE_LAG));
        assertThat(reason(lag, Rules.ARCHIVE_LAG)).contains("the oldest WAL segment waiting for the archiver");
        // Archiving resumed: the backlog is archived and replayed; the stall clears, then the lag it left.
        final int resumed = pipe.transitions.size();
        pipe.awaitTransition("archive1", mark, Duration.ofSeconds(60), t -> t.getCleared().contains(Rules.REPLAY_STALLED));
        pipe.awaitTransition("archive1", resumed, Duration.ofSeconds(90), t -> t.getToState() == HealthState.HEALTHY);
    }

    /** A small max_wal_size under writes: CHECKPOINTS_FORCED, with the WAL rate and a size that would fit it. */
    @Test
    @Order(7)
    void aSmallMaxWalSizeUnderWritesForcesCheckpoints() {
        final int mark = pipe.transitions.size();
        assertThat(pipe.of("primary", 0)).as("not forced before the lever").noneMatch(
                t -> rules(t).contains(Rules.CHECKPOINTS_FORCED));
        pg.setOnPrimary("min_wal_size", "2MB");
        pg.setOnPrimary("max_wal_size", "4MB");
        final long lever = System.currentTimeMillis();
        final long end = System.currentTimeMillis() + 60_000;
        HealthTransition forced = null;
        while (forced == null && System.currentTimeMillis() < end) {
            pg.generateWal(4);
            forced = pipe.of("primary", mark).stream().filter(t -> rules(t).contains(Rules.CHECKPOINTS_FORCED))
                    .findFirst().orElse(null);
        }
        assertThat(forced).as("CHECKPOINTS_FORCED within a minute of writes; the primary's transitions %s; checkpoints"
                + " (timed, requested) %s", pipe.of("primary", mark), pg.primary().queryOne(
                        "SELECT checkpoints_timed || ',' || checkpoints_req FROM pg_stat_bgwriter")).isNotNull();
        LOG.info("MEASURED checkpoints forced: {} ms after the lever; {}", forced.getAt().toEpochMilli() - lever,
                reason(forced, Rules.CHECKPOINTS_FORCED));
        assertThat(reason(forced, Rules.CHECKPOINTS_FORCED)).contains("forced by WAL volume").contains("MiB/s")
                .contains("max_wal_size is 4 MB");
        pg.setOnPrimary("max_wal_size", "1GB");
    }

    /** A standby streaming without a slot, its primary keeping 16 MB: WAL_KEEP_SHORT against the peak WAL rate. */
    @Test
    @Order(8)
    void aStandbyWithoutASlotOnAShortWalKeepIsNamed() {
        final int mark = pipe.transitions.size();
        final long lever = System.currentTimeMillis();
        pg.detachSlot("standby2");
        final HealthTransition shortKeep = pipe.awaitTransition("standby2", mark, Duration.ofSeconds(30),
                t -> rules(t).contains(Rules.WAL_KEEP_SHORT));
        LOG.info("MEASURED wal keep short: {} ms after the lever; {}", shortKeep.getAt().toEpochMilli() - lever,
                reason(shortKeep, Rules.WAL_KEEP_SHORT));
        assertThat(reason(shortKeep, Rules.WAL_KEEP_SHORT)).contains("no replication slot")
                .contains("wal_keep_size = 16 MB");
    }

    /**
     * A cascading standby whose upstream stops: the upstream DOWN, the cascading standby UPSTREAM_DOWN naming it (no
     * RECEIVER_DISCONNECTED or STANDBY_MISSING page of its own); both healthy again once the upstream is back.
     */
    @Test
    @Order(6)
    void aCascadingStandbyWhoseUpstreamStopsNamesTheUpstream() {
        final int mark = pipe.transitions.size();
        final long lever = System.currentTimeMillis();
        pg.stop("standby2");
        pipe.awaitTransition("standby2", mark, Duration.ofSeconds(30), t -> t.getToState() == HealthState.DOWN);
        final HealthTransition upstream = pipe.awaitTransition("cascade1", mark, Duration.ofSeconds(30),
                t -> rules(t).contains(Rules.UPSTREAM_DOWN));
        LOG.info("MEASURED upstream down: {} ms after the lever; {}", upstream.getAt().toEpochMilli() - lever,
                reason(upstream, Rules.UPSTREAM_DOWN));
        assertThat(reason(upstream, Rules.UPSTREAM_DOWN)).contains("from its upstream standby2, which is DOWN");
        final int back = pipe.transitions.size();
        pg.start("standby2");
        pipe.awaitTransition("cascade1", back, Duration.ofSeconds(60), t -> t.getToState() == HealthState.HEALTHY);
        assertThat(pipe.of("cascade1", mark)).as("cascade1 from the stop to HEALTHY again")
                .noneMatch(t -> rules(t).contains(Rules.RECEIVER_DISCONNECTED) || rules(t).contains(Rules.STANDBY_MISSING));
    }

    /** A slot nothing consumes while the primary writes 160 MB: SLOT_RETENTION (this IT's 128 MB) naming it. */
    @Test
    @Order(9)
    void aSlotHoldingBackWalIsNamed() {
        final int mark = pipe.transitions.size();
        pg.createSlot("held");
        try {
            final long lever = System.currentTimeMillis();
            pg.generateWal(160);
            final HealthTransition held = pipe.awaitTransition("primary", mark, Duration.ofSeconds(30),
                    t -> rules(t).contains(Rules.SLOT_RETENTION));
            LOG.info("MEASURED slot retention: {} ms after the writes began; {}", held.getAt().toEpochMilli() - lever,
                    reason(held, Rules.SLOT_RETENTION));
            assertThat(reason(held, Rules.SLOT_RETENTION)).contains("slot held (inactive) retains");
        } finally {
            pg.dropSlot("held");
        }
    }

    /**
     * Issue 16, the xmin horizon: each holder in turn holds it while 4,000 transaction ids are consumed (this IT warns
     * at 2,000), and XMIN_HORIZON must name that holder; released, the primary is HEALTHY again.
     */
    private HealthTransition horizonHeldBy(final String lever, final Runnable hold, final Runnable release,
                                           final String named) {
        final int mark = pipe.transitions.size();
        final long start = System.currentTimeMillis();
        hold.run();
        pg.consumeXids(4000);
        final HealthTransition held = pipe.awaitTransition("primary", mark, Duration.ofSeconds(30),
                t -> rules(t).contains(Rules.XMIN_HORIZON));
        LOG.info("MEASURED horizon held by {}: {} ms after the lever; {}", lever, held.getAt().toEpochMilli() - start,
                reason(held, Rules.XMIN_HORIZON));
        assertThat(reason(held, Rules.XMIN_HORIZON)).contains(named);
        final int released = pipe.transitions.size();
        final long freed = System.currentTimeMillis();
        release.run();
        final HealthTransition clear = pipe.awaitTransition("primary", released, Duration.ofSeconds(30),
                t -> !rules(t).contains(Rules.XMIN_HORIZON));
        LOG.info("MEASURED horizon released ({}): cleared {} ms after", lever, clear.getAt().toEpochMilli() - freed);
        return held;
    }

    @Test
    @Order(10)
    void aTransactionLeftOpenHoldsTheHorizon() {
        final PostgresCluster.OpenTransaction[] tx = new PostgresCluster.OpenTransaction[1];
        final HealthTransition held = horizonHeldBy("an open transaction", () -> tx[0] = pg.openTransaction("primary"),
                () -> tx[0].close(), "idle in transaction");
        assertThat(reason(held, Rules.XMIN_HORIZON)).contains("backend pid " + tx[0].pid());
    }

    @Test
    @Order(11)
    void aForgottenPreparedTransactionHoldsTheHorizon() {
        horizonHeldBy("a prepared transaction", () -> pg.prepareTransaction("replwatch_it"),
                () -> pg.finishPrepared("replwatch_it", false), "prepared transaction 'replwatch_it'");
    }

    @Test
    @Order(12)
    void aStandbysFeedbackHoldsThePrimarysHorizon() {
        final PostgresCluster.OpenTransaction[] tx = new PostgresCluster.OpenTransaction[1];
        horizonHeldBy("standby feedback", () -> {
            pg.hotStandbyFeedback("standby2", true);
            tx[0] = pg.openTransaction("standby2");
        }, () -> {
            tx[0].close();
            pg.hotStandbyFeedback("standby2", false);
        }, "standby standby2's hot_standby_feedback");
    }

    @Test
    @Order(13)
    void aLogicalSlotNothingConsumesHoldsTheHorizon() {
        horizonHeldBy("a logical slot", () -> pg.createLogicalSlot("cdc_it"), () -> pg.dropSlot("cdc_it"),
                "logical replication slot cdc_it");
    }

    /**
     * Issue 16: a logical slot nothing consumes while the primary writes 100 MB: LOGICAL_SLOT_LAG (this IT's 64 MB)
     * naming the slot and its trend; its changes consumed (pg_logical_slot_get_changes): cleared. Then one 100 MB
     * transaction decoded: LOGICAL_SLOT_SPILL (this IT's 16 MB).
     */
    @Test
    @Order(14)
    void aLogicalSlotsConsumerFallingBehindIsNamed() {
        final int mark = pipe.transitions.size();
        pg.createLogicalSlot("cdc_lag");
        try {
            final long lever = System.currentTimeMillis();
            pg.generateWal(100);
            final HealthTransition behind = pipe.awaitTransition("primary", mark, Duration.ofSeconds(30),
                    t -> rules(t).contains(Rules.LOGICAL_SLOT_LAG));
            LOG.info("MEASURED logical slot lag: {} ms after the writes began; {}", behind.getAt().toEpochMilli() - lever,
                    reason(behind, Rules.LOGICAL_SLOT_LAG));
            assertThat(reason(behind, Rules.LOGICAL_SLOT_LAG)).contains("logical slot cdc_lag (inactive, nothing"
                    + " consuming it, plugin test_decoding, database postgres) is")
                    .containsPattern("MiB \\(\\d+\\.\\d s\\) behind the primary");
            final int caughtUp = pipe.transitions.size();
            final long consumed = System.currentTimeMillis();
            pg.consumeLogicalSlot("cdc_lag");
            final HealthTransition clear = pipe.awaitTransition("primary", caughtUp, Duration.ofSeconds(30),
                    t -> !rules(t).contains(Rules.LOGICAL_SLOT_LAG));
            LOG.info("MEASURED logical slot consumed: cleared {} ms after", clear.getAt().toEpochMilli() - consumed);
            // One 100 MB transaction decoded: more than logical_decoding_work_mem (64 MB), so it spills to disk.
            final int spill = pipe.transitions.size();
            pg.writeInOneTransaction(100);
            final long decoded = System.currentTimeMillis();
            pg.consumeLogicalSlot("cdc_lag");
            final HealthTransition spilled = pipe.awaitTransition("primary", spill, Duration.ofSeconds(30),
                    t -> rules(t).contains(Rules.LOGICAL_SLOT_SPILL));
            LOG.info("MEASURED logical slot spill: {} ms after the decoding; {}", spilled.getAt().toEpochMilli() - decoded,
                    reason(spilled, Rules.LOGICAL_SLOT_SPILL));
            assertThat(reason(spilled, Rules.LOGICAL_SLOT_SPILL)).contains("logical slot cdc_lag spilled")
                    .contains("logical_decoding_work_mem");
        } finally {
            pg.dropSlot("cdc_lag");
        }
    }

    /**
     * A primary's max_connections raised above its standbys': SETTINGS_DRIFT naming both values. Last: PostgreSQL
     * then pauses the standbys' replay (they cannot hold the primary's connections), as it would in production.
     */
    @Test
    @Order(20)
    void aStandbySettingBelowThePrimarysIsDrift() {
        final int mark = pipe.transitions.size();
        final long lever = System.currentTimeMillis();
        pg.raiseOnPrimary("max_connections", 150);
        final HealthTransition drift = pipe.awaitTransition("standby1", mark, Duration.ofSeconds(60),
                t -> rules(t).contains(Rules.SETTINGS_DRIFT));
        LOG.info("MEASURED settings drift: {} ms after the lever (which restarts the primary)",
                drift.getAt().toEpochMilli() - lever);
        assertThat(reason(drift, Rules.SETTINGS_DRIFT)).contains("max_connections 100 < the primary's 150");
    }
}
