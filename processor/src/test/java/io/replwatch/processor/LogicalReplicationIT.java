package io.replwatch.processor;

import static io.replwatch.processor.SandboxPipeline.reason;
import static io.replwatch.processor.SandboxPipeline.rules;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.HealthState;
import io.replwatch.avro.HealthTransition;
import io.replwatch.processor.health.Rules;
import io.replwatch.sandbox.PgNode;
import io.replwatch.sandbox.PostgresCluster;
import io.replwatch.sandbox.Sandbox;
import java.time.Duration;
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
 * Issue 16 on real PostgreSQL: a publisher (the sandbox's primary) and a subscriber (an instance of its own, watched
 * as its own cluster) through the real collector and processor. An idle publisher with a caught-up subscriber raises
 * nothing; a disabled subscription, an apply error (a row that conflicts) and a stopped subscriber are each named,
 * and clear when undone.
 */
@Tag("chaos")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LogicalReplicationIT {

    private static final Logger LOG = LoggerFactory.getLogger(LogicalReplicationIT.class);

    private static Sandbox sandbox;
    private static PostgresCluster pg;
    private static SandboxPipeline pipe;

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.builder().tempDir("logical-it-").standbys(0).start();
        pg = sandbox.postgres();
        final PgNode sub = pg.addSubscriber("sub1");
        pipe = new SandboxPipeline(sandbox, "logical-it", """
                stale_min: 5s
                lag_window: 10s
                conflicts_window: 20s
                rules:
                  SUBSCRIPTION_DOWN: {for: 3s, clear_for: 2s}
                  SUBSCRIPTION_ERRORS: {clear_for: 2s}
                  SUBSCRIPTION_LAG: {warning: 5s, critical: 10m, for: 2s, clear_for: 2s}
                  LOGICAL_SLOT_LAG: {warning: 32MB, critical: 10GB, for: 0s, clear_for: 2s}
                """, "", """
                  - name: subscriber
                    nodes:
                      - {name: sub1, port: %d}
                """.formatted(sub.port()));
        for (final String n : new String[] {"primary", "sub1"}) {
            pipe.awaitTransition(n, 0, Duration.ofSeconds(60), t -> t.getToState() == HealthState.HEALTHY);
        }
    }

    @AfterAll
    static void down() throws InterruptedException {
        SandboxPipeline.closeAll(pipe, sandbox);
    }

    /** An idle publisher, its subscriber caught up: not one transition for 30 s (kept short for the chaos suite's time). */
    @Test
    @Order(1)
    void anIdlePublisherWithACaughtUpSubscriberRaisesNothing() {
        final int mark = pipe.transitions.size();
        await().during(Duration.ofSeconds(30)).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> pipe.transitions.size() == mark);
    }

    @Test
    @Order(2)
    void aDisabledSubscriptionIsNamed() {
        final int mark = pipe.transitions.size();
        final long lever = System.currentTimeMillis();
        pg.enableSubscription("sub1", false);
        final HealthTransition down = pipe.awaitTransition("sub1", mark, Duration.ofSeconds(30),
                t -> rules(t).contains(Rules.SUBSCRIPTION_DOWN));
        LOG.info("MEASURED subscription disabled: {} ms after the lever; {}", down.getAt().toEpochMilli() - lever,
                reason(down, Rules.SUBSCRIPTION_DOWN));
        assertThat(down.getToState()).isEqualTo(HealthState.WARNING);
        assertThat(reason(down, Rules.SUBSCRIPTION_DOWN)).contains("subscription sub1 is disabled");
        final int back = pipe.transitions.size();
        pg.enableSubscription("sub1", true);
        pipe.awaitTransition("sub1", back, Duration.ofSeconds(30), t -> t.getToState() == HealthState.HEALTHY);
    }

    /**
     * An apply error: SUBSCRIPTION_ERRORS, and, while the launcher waits wal_retrieve_retry_interval (30 s here)
     * before it starts the failed worker again, SUBSCRIPTION_DOWN's CRITICAL branch (enabled, no apply worker).
     */
    @Test
    @Order(3)
    void anApplyErrorIsNamedAndItsFixClearsIt() {
        pg.setOn("sub1", "wal_retrieve_retry_interval", "30s");
        final int mark = pipe.transitions.size();
        final long lever = System.currentTimeMillis();
        pg.conflictOnSubscriber("sub1", 42);
        final HealthTransition errors = pipe.awaitTransition("sub1", mark, Duration.ofSeconds(60),
                t -> rules(t).contains(Rules.SUBSCRIPTION_ERRORS));
        LOG.info("MEASURED subscription apply error: {} ms after the lever; {}", errors.getAt().toEpochMilli() - lever,
                reason(errors, Rules.SUBSCRIPTION_ERRORS));
        assertThat(reason(errors, Rules.SUBSCRIPTION_ERRORS)).contains("subscription sub1:").contains("apply");
        final HealthTransition down = pipe.awaitTransition("sub1", mark, Duration.ofSeconds(60),
                t -> rules(t).contains(Rules.SUBSCRIPTION_DOWN));
        LOG.info("MEASURED subscription without its apply worker: CRITICAL {} ms after the lever; {}",
                down.getAt().toEpochMilli() - lever, reason(down, Rules.SUBSCRIPTION_DOWN));
        assertThat(down.getToState()).isEqualTo(HealthState.CRITICAL);
        assertThat(reason(down, Rules.SUBSCRIPTION_DOWN)).contains("subscription sub1 is enabled but no apply worker runs");
        final int fixed = pipe.transitions.size();
        final long fix = System.currentTimeMillis();
        pg.resolveConflict("sub1", 42);
        final HealthTransition healthy = pipe.awaitTransition("sub1", fixed, Duration.ofSeconds(90),
                t -> t.getToState() == HealthState.HEALTHY);
        LOG.info("MEASURED subscription apply error fixed: HEALTHY {} ms after the fix (the errors leave the 20 s window)",
                healthy.getAt().toEpochMilli() - fix);
        await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(pg.node("sub1").queryOne(
                "SELECT count(*) FROM " + PostgresCluster.PUBLICATION + " WHERE id = 42")));
    }

    /**
     * The apply blocked on the subscriber (the published table locked by an open transaction) while the publisher
     * writes: the subscription is matched to its slot on the publisher (another cluster) and SUBSCRIPTION_LAG gives
     * its true time lag there; closing the transaction clears it.
     */
    @Test
    @Order(4)
    void aBlockedApplyLagsByThePublishersClock() {
        pg.setOn("sub1", "wal_retrieve_retry_interval", "5s");
        // Caught up first: the slot has confirmed everything the publisher wrote, and no lag is claimed.
        final long settle = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> "t".equals(pg.node("primary")
                .queryOne("SELECT confirmed_flush_lsn >= pg_current_wal_lsn() FROM pg_replication_slots"
                        + " WHERE slot_name = 'sub1'")));
        pipe.awaitTransition("sub1", 0, Duration.ofSeconds(30), t -> t.getToState() == HealthState.HEALTHY);
        LOG.info("MEASURED subscription caught up (slot confirmed the publisher's position) {} ms after the previous"
                + " test", System.currentTimeMillis() - settle);
        final int mark = pipe.transitions.size();
        final long lever;
        try (PostgresCluster.OpenTransaction lock = pg.lockOnSubscriber("sub1")) {
            lever = System.currentTimeMillis();
            pg.writePublished(10);
            final HealthTransition lag = pipe.awaitTransition("sub1", mark, Duration.ofSeconds(40),
                    t -> rules(t).contains(Rules.SUBSCRIPTION_LAG));
            LOG.info("MEASURED subscription apply blocked: SUBSCRIPTION_LAG {} ms after the write; {}",
                    lag.getAt().toEpochMilli() - lever, reason(lag, Rules.SUBSCRIPTION_LAG));
            assertThat(lag.getToState()).isEqualTo(HealthState.WARNING);
            // The lag it reports is the write's age on the publisher's clock, not older.
            final double lagMs = lag.getReasons().stream().filter(r -> r.getRule().equals(Rules.SUBSCRIPTION_LAG))
                    .findFirst().orElseThrow().getValue();
            assertThat(lagMs).isBetween(5_000d, (double) (lag.getAt().toEpochMilli() - lever) + 1_500);
            assertThat(reason(lag, Rules.SUBSCRIPTION_LAG)).startsWith("subscription sub1 is")
                    .contains("behind its publisher sandbox/primary (slot sub1");
        }
        final int released = pipe.transitions.size();
        final long unlock = System.currentTimeMillis();
        final HealthTransition healthy = pipe.awaitTransition("sub1", released, Duration.ofSeconds(30),
                t -> t.getToState() == HealthState.HEALTHY);
        LOG.info("MEASURED subscription apply unblocked: HEALTHY {} ms after the transaction closed",
                healthy.getAt().toEpochMilli() - unlock);
    }

    /** The subscriber stopped while the publisher writes: it is DOWN, and its slot on the publisher falls behind. */
    @Test
    @Order(5)
    void aStoppedSubscribersSlotFallsBehindOnThePublisher() {
        final int mark = pipe.transitions.size();
        pg.stop("sub1");
        pipe.awaitTransition("sub1", mark, Duration.ofSeconds(30), t -> t.getToState() == HealthState.DOWN);
        final long writes = System.currentTimeMillis();
        pg.generateWal(48);
        final HealthTransition behind = pipe.awaitTransition("primary", mark, Duration.ofSeconds(30),
                t -> rules(t).contains(Rules.LOGICAL_SLOT_LAG));
        LOG.info("MEASURED subscriber stopped: LOGICAL_SLOT_LAG {} ms after the writes began; {}",
                behind.getAt().toEpochMilli() - writes, reason(behind, Rules.LOGICAL_SLOT_LAG));
        assertThat(reason(behind, Rules.LOGICAL_SLOT_LAG)).contains("logical slot sub1 (inactive, nothing consuming it,"
                + " plugin pgoutput");
        final int back = pipe.transitions.size();
        final long started = System.currentTimeMillis();
        pg.start("sub1");
        final HealthTransition caughtUp = pipe.awaitTransition("primary", back, Duration.ofSeconds(90),
                t -> !rules(t).contains(Rules.LOGICAL_SLOT_LAG));
        LOG.info("MEASURED subscriber restarted: its slot caught up {} ms after pg_ctl start returned",
                caughtUp.getAt().toEpochMilli() - started);
    }
}
