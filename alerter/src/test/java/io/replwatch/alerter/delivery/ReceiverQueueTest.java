package io.replwatch.alerter.delivery;

import io.replwatch.alerter.receiver.Attempt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.replwatch.alerter.Fixtures;
import io.replwatch.alerter.LocalHttpServer;
import io.replwatch.alerter.LocalHttpServer.Answer;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.receiver.webhook.WebhookConfig;
import io.replwatch.alerter.receiver.webhook.WebhookReceiver;
import io.replwatch.avro.DeadLetter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retry classes, Retry-After, dead letters and isolation between receivers, against real local HTTP servers. */
class ReceiverQueueTest {

    private final List<DeadLetter> dead = new CopyOnWriteArrayList<>();
    private final DeadLetterSink sink = (key, letter, done) -> {
        dead.add(letter);
        done.run();
    };
    private final AlerterMetrics metrics = new AlerterMetrics(new SimpleMeterRegistry());
    private final List<AutoCloseable> closeMe = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (final AutoCloseable c : closeMe) {
            c.close();
        }
    }

    private LocalHttpServer server() throws Exception {
        final LocalHttpServer s = new LocalHttpServer();
        closeMe.add(s);
        return s;
    }

    private ReceiverQueue queue(final String name, final LocalHttpServer server, final ReceiverSettings s) {
        final WebhookConfig c = new WebhookConfig(s, server.uri("/hook"), WebhookConfig.Format.REPLWATCH, null, Map.of());
        final ReceiverQueue q = new ReceiverQueue(new WebhookReceiver(c, Clock.systemUTC()), s, sink, metrics,
                Clock.systemUTC());
        closeMe.add(q);
        return q;
    }

    private static ReceiverSettings fast(final String name, final int attempts) {
        return ReceiverSettings.of(name, "webhook").withRetry(attempts, Duration.ofMillis(20), Duration.ofMillis(100),
                Duration.ofMinutes(1)).withTimeout(Duration.ofMillis(500));
    }

    private static Notification fresh() {
        final Notification n = Fixtures.notification(true);
        return new Notification(n.receiver(), n.groupKey(), n.groupLabels(), n.alerts(), n.idempotencyKey(),
                Instant.now(), Instant.now(), null);
    }

    private static void settle(final ReceiverQueue q, final Notification n) throws InterruptedException {
        final CountDownLatch done = new CountDownLatch(1);
        q.submit(n, done::countDown);
        assertThat(done.await(30, TimeUnit.SECONDS)).as("settled").isTrue();
    }

    @Test
    void serverErrorsAreRetriedUntilDelivered() throws Exception {
        final LocalHttpServer s = server().script(n -> n <= 2 ? Answer.status(503) : Answer.ok());
        settle(queue("a", s, fast("a", 5)), fresh());
        assertThat(s.attempts()).isEqualTo(3);
        assertThat(s.delivered()).hasSize(1);
        assertThat(dead).isEmpty();
        assertThat(metrics.count("a", "sent")).isEqualTo(1);
        assertThat(metrics.count("a", "failed")).isEqualTo(2);
    }

    @Test
    void tooManyRequestsHonoursRetryAfter() throws Exception {
        final LocalHttpServer s = server().script(n -> n == 1 ? new Answer(429, Map.of("Retry-After", "1"), 0) : Answer.ok());
        final long start = System.nanoTime();
        settle(queue("a", s, fast("a", 5)), fresh());
        final long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // Our own backoff would have waited at most 20 ms; the receiver asked for 1 s.
        assertThat(waited).isGreaterThanOrEqualTo(950);
        assertThat(s.delivered()).hasSize(1);
    }

    @Test
    void otherClientErrorsFailAtOnceToDeadLetter() throws Exception {
        final LocalHttpServer s = server().script(n -> Answer.status(400));
        settle(queue("a", s, fast("a", 5)), fresh());
        assertThat(s.attempts()).as("a 400 is not retried").isEqualTo(1);
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.getReceiver()).isEqualTo("a");
            assertThat(d.getLastStatus()).isEqualTo(400);
            assertThat(d.getAttempts()).isEqualTo(1);
            assertThat(d.getReason()).contains("not retryable").contains("HTTP 400");
            assertThat(d.getHeaders()).containsEntry("Idempotency-Key", "5c0f3e9ad1b24e7a");
        });
    }

    @Test
    void deadLetterAfterMaxAttemptsWithTheLastStatus() throws Exception {
        final LocalHttpServer s = server().script(n -> Answer.status(502));
        settle(queue("a", s, fast("a", 4)), fresh());
        assertThat(s.attempts()).isEqualTo(4);
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.getLastStatus()).isEqualTo(502);
            assertThat(d.getAttempts()).isEqualTo(4);
            assertThat(d.getErrorClass()).isEqualTo("RETRIES_EXHAUSTED");
            assertThat(new String(d.getValue().array())).contains("\"group_key\"").contains("pg-orders-2");
        });
        assertThat(metrics.count("a", "dead_lettered")).isEqualTo(1);
    }

    @Test
    void timeoutsAndRefusedConnectionsAreRetried() throws Exception {
        final LocalHttpServer slow = server().script(n -> n == 1 ? new Answer(200, Map.of(), 1500) : Answer.ok());
        settle(queue("a", slow, fast("a", 3)), fresh());
        assertThat(slow.attempts()).isEqualTo(2);
        final LocalHttpServer gone = server();
        final ReceiverQueue q = queue("b", gone, fast("b", 3));
        gone.close();
        settle(q, fresh());
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.getReceiver()).isEqualTo("b");
            assertThat(d.getLastStatus()).isNull();
            assertThat(d.getReason()).contains("connection refused");
        });
    }

    @Test
    void maxAgeEndsRetriesEvenWithAttemptsLeft() throws Exception {
        final LocalHttpServer s = server().script(n -> Answer.status(503));
        final ReceiverSettings st = ReceiverSettings.of("a", "webhook").withRetry(1000, Duration.ofMillis(50),
                Duration.ofMillis(50), Duration.ofMillis(600));
        settle(queue("a", s, st), fresh());
        assertThat(dead).hasSize(1);
        assertThat(s.attempts()).isBetween(2, 20);
    }

    @Test
    void aFailingReceiverDoesNotHoldUpAnother() throws Exception {
        final LocalHttpServer bad = server().script(n -> Answer.status(503));
        final LocalHttpServer good = server();
        final ReceiverQueue slowQ = queue("bad", bad, ReceiverSettings.of("bad", "webhook")
                .withRetry(1000, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMinutes(5)));
        final ReceiverQueue goodQ = queue("good", good, fast("good", 3));
        for (int i = 0; i < 20; i++) {
            slowQ.submit(fresh(), () -> { });
        }
        final long start = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            goodQ.submit(fresh(), () -> { });
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> good.delivered().size() == 50);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
        assertThat(bad.delivered()).isEmpty();
    }

    @Test
    void rateLimitSpacesNotifications() throws Exception {
        final LocalHttpServer s = server();
        final ReceiverQueue q = queue("a", s, fast("a", 3).withRateLimit(10));
        for (int i = 0; i < 6; i++) {
            q.submit(fresh(), () -> { });
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> s.delivered().size() == 6);
        final long spanMs = TimeUnit.NANOSECONDS.toMillis(s.delivered().get(5).receivedNanos()
                - s.delivered().get(0).receivedNanos());
        // 10 per second: six sends need at least five gaps of 100 ms.
        assertThat(spanMs).isGreaterThanOrEqualTo(450);
    }

    @Test
    void stoppingMidRetryIsNotADeadLetter() throws Exception {
        final LocalHttpServer s = server().script(n -> Answer.status(503));
        final ReceiverQueue q = queue("a", s, ReceiverSettings.of("a", "webhook").withRetry(100, Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofMinutes(5)));
        final CountDownLatch settled = new CountDownLatch(1);
        q.submit(fresh(), settled::countDown);
        await().atMost(Duration.ofSeconds(5)).until(() -> s.attempts() >= 1);
        q.close();
        // Left unsettled: its offsets stay uncommitted and a restart makes the notification again.
        assertThat(settled.await(500, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(dead).isEmpty();
    }

    @Test
    void backoffGrowsAndStaysUnderTheCap() {
        final ReceiverQueue q = new ReceiverQueue(new io.replwatch.alerter.receiver.console.ConsoleReceiver(
                fast("a", 3), System.out), fast("a", 3), sink, metrics, Clock.systemUTC());
        closeMe.add(q);
        for (int attempt = 1; attempt < 30; attempt++) {
            final Duration d = q.delay(null, attempt);
            assertThat(d).isLessThanOrEqualTo(Duration.ofMillis(100));
            assertThat(d).isGreaterThanOrEqualTo(Duration.ofMillis(Math.min(100, 20L << (attempt - 1)) / 2));
        }
        assertThat(q.delay(Attempt.ofStatus(429, Duration.ofSeconds(7), "a"), 1)).isEqualTo(Duration.ofSeconds(7));
    }
}
