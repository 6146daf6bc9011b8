package io.replwatch.alerter.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.alerter.Fixtures;
import io.replwatch.alerter.Fixtures.MutableClock;
import io.replwatch.alerter.model.Alert;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.routing.InhibitRule;
import io.replwatch.alerter.routing.Matcher;
import io.replwatch.alerter.routing.Route;
import io.replwatch.alerter.routing.Silences;
import io.replwatch.alerter.state.StateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Grouping, repeat timing, flaps, muting and restarts, on a clock the test moves. */
class DispatcherTest {

    private final MutableClock clock = new MutableClock(Fixtures.T0);
    private final List<Notification> sent = new ArrayList<>();
    private final List<Runnable> settle = new ArrayList<>();
    private final Map<String, String> store = new LinkedHashMap<>();
    private boolean autoSettle = true;
    private final StateStore state = (k, v, done) -> {
        if (v == null) {
            store.remove(k);
        } else {
            store.put(k, v);
        }
        done.run();
    };
    private Silences silences;
    private Dispatcher d;

    private static Route route(final Duration wait, final Duration interval, final Duration repeat) {
        return new Route("root", "ops", List.of(), false, List.of("cluster"), wait, interval, repeat, List.of());
    }

    private Dispatcher dispatcher(final Route r) {
        silences = new Silences(List.of(), state, clock);
        return new Dispatcher(r, InhibitRule.defaults(), silences, state, (n, s) -> {
            sent.add(n);
            if (autoSettle) {
                s.run();
            } else {
                settle.add(s);
            }
        }, clock, null);
    }

    @BeforeEach
    void setUp() {
        d = dispatcher(route(Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofHours(4)));
    }

    private void after(final Duration dt) {
        clock.advance(dt);
        d.tick();
    }

    @Test
    void groupWaitBatchesOneIncidentIntoOneNotification() {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        d.tick();
        assertThat(sent).as("group_wait 2s not over").isEmpty();
        after(Duration.ofSeconds(1));
        d.ingest(List.of(Fixtures.firing("orders", "pg-3", "LAG_TIME", "WARNING", "t2")), Token.none(), clock.instant());
        after(Duration.ofSeconds(1));
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).alerts()).extracting(Alert::node).containsExactly("pg-2", "pg-3");
        assertThat(sent.get(0).idempotencyKey()).as("two transitions: a digest").isNotIn("t1", "t2");
    }

    @Test
    void oneTransitionTravelsAsItsOwnIdempotencyKey() {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(2));
        assertThat(sent).singleElement().extracting(Notification::idempotencyKey).isEqualTo("t1");
    }

    @Test
    void groupIntervalThenRepeatInterval() {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(2));
        assertThat(sent).hasSize(1);
        // A new alert 10 s later waits for group_interval (1 min after the first flush).
        after(Duration.ofSeconds(10));
        d.ingest(List.of(Fixtures.firing("orders", "pg-3", "LAG_TIME", "WARNING", "t2")), Token.none(), clock.instant());
        after(Duration.ofSeconds(40));
        assertThat(sent).hasSize(1);
        after(Duration.ofSeconds(10));
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).alerts()).hasSize(2);
        assertThat(sent.get(1).idempotencyKey()).isEqualTo("t2");
        // Nothing changes: no notification until repeat_interval (4 h) after the last one.
        after(Duration.ofHours(3));
        assertThat(sent).hasSize(2);
        after(Duration.ofHours(1));
        assertThat(sent).hasSize(3);
        assertThat(sent.get(2).idempotencyKey()).isEqualTo("t2/repeat-1");
    }

    @Test
    void aRuleStillFiringInALaterTransitionIsNotNews() {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(2));
        // The processor lists every firing rule in each transition; LAG_TIME again with the same severity.
        after(Duration.ofMinutes(5));
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t9")), Token.none(), clock.instant());
        after(Duration.ofMinutes(2));
        assertThat(sent).hasSize(1);
        // Escalation to CRITICAL is news.
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "CRITICAL", "t10")), Token.none(), clock.instant());
        after(Duration.ofSeconds(1));
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).worstSeverity()).isEqualTo("CRITICAL");
    }

    @Test
    void aFlapShorterThanGroupWaitPagesNobody() {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(1));
        d.ingest(List.of(Fixtures.resolved("orders", "pg-2", "LAG_TIME", "t2")), Token.none(), clock.instant());
        after(Duration.ofSeconds(5));
        assertThat(sent).isEmpty();
        assertThat(d.groupCount()).as("the empty group is gone").isZero();
    }

    @Test
    void resolvedIsSentOnceForWhatWasSentFiring() {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(2));
        after(Duration.ofMinutes(2));
        d.ingest(List.of(Fixtures.resolved("orders", "pg-2", "LAG_TIME", "t2")), Token.none(), clock.instant());
        d.tick();
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).firing()).isFalse();
        after(Duration.ofHours(5));
        assertThat(sent).as("no repeats of a resolved group").hasSize(2);
        assertThat(d.groupCount()).isZero();
    }

    /**
     * Issue 23, found against a real Alertmanager: it keys an alert by its labels, and replwatch resolved alerts
     * without the severity they fired with (and with the role of the moment), so Alertmanager never saw them end.
     * A resolution now carries the labels the alert fired with; a rule still firing after a failover keeps its labels.
     */
    @Test
    void anAlertResolvesUnderTheLabelsItFiredWith() {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(2));
        // Still firing after pg-2 was promoted: same version, a new role in the transition's labels.
        final Alert promoted = Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t2");
        final Map<String, String> primary = new LinkedHashMap<>(promoted.labels());
        primary.put("role", "PRIMARY");
        d.ingest(List.of(new Alert(promoted.fingerprint(), promoted.cluster(), promoted.node(), promoted.rule(),
                promoted.severity(), promoted.status(), promoted.message(), promoted.value(), promoted.threshold(),
                promoted.unit(), promoted.startsAt(), promoted.endsAt(), promoted.transitionId(), primary)),
                Token.none(), clock.instant());
        after(Duration.ofMinutes(2));
        d.ingest(List.of(Fixtures.resolved("orders", "pg-2", "LAG_TIME", "t3")), Token.none(), clock.instant());
        d.tick();
        assertThat(sent).hasSize(2);
        final Alert fired = sent.get(0).alerts().get(0);
        final Alert resolved = sent.get(1).alerts().get(0);
        assertThat(resolved.firing()).isFalse();
        assertThat(resolved.labels()).isEqualTo(fired.labels()).containsEntry("severity", "WARNING")
                .containsEntry("role", "STANDBY");
    }

    @Test
    void silencedAlertsAreLeftOutAndSentWhenTheSilenceEnds() {
        silences.create(List.of(Matcher.parse("node=\"pg-2\"")), clock.instant(), clock.instant().plusSeconds(600),
                "dba", "maintenance");
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(5));
        assertThat(sent).isEmpty();
        after(Duration.ofMinutes(10));
        assertThat(sent).hasSize(1);
    }

    @Test
    void aDownNodesLagIsInhibited() {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "NODE_UNREACHABLE", "DOWN", "t1"),
                Fixtures.firing("orders", "pg-2", "LAG_TIME", "CRITICAL", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(2));
        assertThat(sent).singleElement().satisfies(n ->
                assertThat(n.alerts()).extracting(Alert::rule).containsExactly("NODE_UNREACHABLE"));
    }

    @Test
    void tokensSettleOnlyAfterDelivery() {
        autoSettle = false;
        final OffsetTracker tracker = new OffsetTracker();
        final var tp = new org.apache.kafka.common.TopicPartition("t", 0);
        final Token token = tracker.track(tp, 41);
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), token, clock.instant());
        token.release();
        final Token noop = tracker.track(tp, 42);
        d.ingest(List.of(Fixtures.resolved("billing", "pg-9", "LAG_TIME", "t2")), noop, clock.instant());
        noop.release();
        assertThat(tracker.committable()).as("41 is pending").containsEntry(tp, 41L);
        after(Duration.ofSeconds(2));
        assertThat(sent).hasSize(1);
        assertThat(tracker.committable()).as("still in flight").containsEntry(tp, 41L);
        settle.get(0).run();
        assertThat(tracker.committable()).containsEntry(tp, 43L);
    }

    @Test
    void aRestartFromSavedStateRepeatsNothing() throws Exception {
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofSeconds(2));
        assertThat(sent).hasSize(1);
        after(Duration.ofMinutes(30));

        // A new process: restore from the store, then the uncommitted record is consumed again.
        final Dispatcher restarted = dispatcher(route(Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofHours(4)));
        final ObjectMapper json = new ObjectMapper();
        for (final var e : new LinkedHashMap<>(store).entrySet()) {
            restarted.restore(e.getKey(), json.readTree(e.getValue()));
        }
        d = restarted;
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        after(Duration.ofMinutes(5));
        assertThat(sent).as("no repeat after the restart").hasSize(1);
        // The repeat clock survived too: 4 h after the first send, not 4 h after the restart.
        after(Duration.ofHours(3).plusMinutes(25));
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).idempotencyKey()).isEqualTo("t1/repeat-1");
    }

    @Test
    void groupWaitZeroSendsAtOnce() {
        d = dispatcher(route(Duration.ZERO, Duration.ofMinutes(1), Duration.ofHours(4)));
        d.ingest(List.of(Fixtures.firing("orders", "pg-2", "LAG_TIME", "WARNING", "t1")), Token.none(), clock.instant());
        d.tick();
        assertThat(sent).hasSize(1);
    }
}
