package io.replwatch.alerter.delivery;

import io.replwatch.alerter.receiver.Attempt;
import dev.failsafe.Failsafe;
import dev.failsafe.RateLimiter;
import dev.failsafe.RetryPolicy;
import io.replwatch.alerter.model.Notification;
import io.replwatch.alerter.receiver.Receiver;
import io.replwatch.alerter.receiver.ReceiverSettings;
import io.replwatch.alerter.state.AlertJson;
import io.replwatch.avro.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One receiver's queue and workers: a slow or failing receiver only ever holds up itself. Each notification is
 * tried under the receiver's rate limit, retried (through Failsafe) on retryable outcomes with exponential
 * backoff and full jitter, or exactly the receiver's Retry-After when it sent one, until max_attempts or
 * max_age; then it goes to the dead-letter topic with the receiver, last status and reason. Logs only when the
 * error changes, never the URL.
 */
public final class ReceiverQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReceiverQueue.class);

    private final Receiver receiver;
    private final ReceiverSettings settings;
    private final DeadLetterSink deadLetters;
    private final AlerterMetrics metrics;
    private final Clock clock;
    private final ThreadPoolExecutor workers;
    private final RateLimiter<Object> rateLimiter;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicReference<String> lastError = new AtomicReference<>();

    public ReceiverQueue(final Receiver receiver, final ReceiverSettings settings, final DeadLetterSink deadLetters,
                         final AlerterMetrics metrics, final Clock clock) {
        this.receiver = receiver;
        this.settings = settings;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.clock = clock;
        final AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(settings.concurrency(), settings.concurrency(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    final Thread t = new Thread(r, "replwatch-deliver-" + settings.name() + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.rateLimiter = settings.rateLimit() > 0
                ? RateLimiter.smoothBuilder(Duration.ofNanos((long) (1e9 / settings.rateLimit())))
                        .withMaxWaitTime(Duration.ofDays(1)).build()
                : null;
        io.micrometer.core.instrument.Gauge.builder("replwatch.alerter.queue", inFlight, AtomicInteger::get)
                .tag("receiver", settings.name()).description("Notifications queued or in flight")
                .register(metrics.registry());
    }

    public String name() {
        return settings.name();
    }

    public int depth() {
        return inFlight.get();
    }

    /** Queues a notification; {@code settled} runs once it is delivered, skipped or dead-lettered. */
    public void submit(final Notification n, final Runnable settled) {
        final Notification toSend = receiver.sendResolved() ? n
                : new Notification(n.receiver(), n.groupKey(), n.groupLabels(), n.firingAlerts(), n.idempotencyKey(),
                        n.createdAt(), n.consumedAt(), n.externalUrl());
        if (toSend.alerts().isEmpty()) {
            metrics.outcome(settings.name(), "skipped");
            settled.run();
            return;
        }
        if (workers.isShutdown()) {
            // Stopping: the records behind it stay uncommitted and are redone after the restart.
            return;
        }
        inFlight.incrementAndGet();
        workers.execute(() -> {
            try {
                deliver(toSend, settled);
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }

    private void deliver(final Notification n, final Runnable settled) {
        final Duration age = Duration.between(n.createdAt(), clock.instant());
        final Duration left = settings.maxAge().minus(age);
        final RetryPolicy<Attempt> retry = RetryPolicy.<Attempt>builder()
                .handleResultIf(a -> !a.ok() && a.retryable())
                .handle(RuntimeException.class)
                .withMaxAttempts(settings.maxAttempts())
                .withMaxDuration(left.isNegative() ? Duration.ofMillis(1) : left)
                .withDelayFn(ctx -> delay(ctx.getLastResult(), ctx.getAttemptCount()))
                .onRetry(e -> metrics.retry(settings.name()))
                .build();
        final AtomicInteger attempts = new AtomicInteger();
        Attempt last;
        try {
            last = Failsafe.with(retry).get(ctx -> {
                if (rateLimiter != null) {
                    rateLimiter.acquirePermit();
                }
                attempts.incrementAndGet();
                final Attempt a = receiver.send(n);
                if (!a.ok()) {
                    metrics.outcome(settings.name(), "failed");
                    logChange(a.error());
                }
                return a;
            });
        } catch (final dev.failsafe.FailsafeException e) {
            if (e.getCause() instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                // Shutting down: not a delivery failure. Left unsettled, its records stay uncommitted and the
                // notification is made again after the restart.
                Thread.currentThread().interrupt();
                return;
            }
            last = Attempt.permanent(settings.name(), "delivery failed ("
                    + (e.getCause() == null ? e.getClass().getSimpleName() : e.getCause().getClass().getSimpleName()) + ")");
        } catch (final RuntimeException e) {
            last = Attempt.permanent(settings.name(), "sender failed (" + e.getClass().getSimpleName() + ")");
        }
        if (Thread.currentThread().isInterrupted()) {
            return; // shutting down mid-retry: redone after the restart, never dead-lettered for it
        }
        if (last.ok()) {
            if (lastError.getAndSet(null) != null) {
                LOG.info("Receiver '{}' delivers again", settings.name());
            }
            metrics.outcome(settings.name(), "sent");
            metrics.latency(settings.name(), Duration.between(n.consumedAt(), clock.instant()));
            settled.run();
            return;
        }
        final String reason = (last.retryable() ? "gave up after " + attempts.get() + " attempt(s) or max age "
                + settings.maxAge() + ": " : "not retryable: ") + last.error();
        LOG.warn("Notification {} for group {} to '{}' dead-lettered: {}", n.idempotencyKey(), n.groupKey(),
                settings.name(), reason);
        metrics.outcome(settings.name(), "dead_lettered");
        deadLetters.send(n.groupKey(), deadLetter(n, last, reason, attempts.get()), settled);
    }

    /** Retry-After when the receiver sent one, else exponential backoff with full jitter. */
    Duration delay(final Attempt last, final int attempts) {
        if (last != null && last.retryAfter() != null) {
            return last.retryAfter();
        }
        final long base = settings.initialBackoff().toMillis();
        final long cap = Math.max(base, settings.maxBackoff().toMillis());
        final long exp = Math.min(cap, base << Math.min(20, Math.max(0, attempts - 1)));
        return Duration.ofMillis(exp <= 0 ? 0 : exp / 2 + ThreadLocalRandom.current().nextLong(exp / 2 + 1));
    }

    private void logChange(final String error) {
        if (!error.equals(lastError.getAndSet(error))) {
            LOG.warn("{}; retrying where the error allows", error);
        }
    }

    private DeadLetter deadLetter(final Notification n, final Attempt last, final String reason, final int attempts) {
        final var json = AlertJson.JSON.createObjectNode();
        json.put("idempotency_key", n.idempotencyKey());
        json.put("receiver", n.receiver());
        json.put("group_key", n.groupKey());
        json.put("status", n.status().lower());
        json.put("created_at", n.createdAt().toString());
        final var alerts = json.putArray("alerts");
        n.alerts().forEach(a -> alerts.add(AlertJson.alert(a)));
        return DeadLetter.newBuilder()
                .setStage("alerter")
                .setReason(reason)
                .setErrorClass(last.retryable() ? "RETRIES_EXHAUSTED" : "PERMANENT")
                .setFailedAt(Instant.now(clock))
                .setKey(java.nio.ByteBuffer.wrap(n.groupKey().getBytes(StandardCharsets.UTF_8)))
                .setValue(java.nio.ByteBuffer.wrap(json.toString().getBytes(StandardCharsets.UTF_8)))
                .setHeaders(Map.of("Idempotency-Key", n.idempotencyKey()))
                .setReceiver(settings.name())
                .setLastStatus(last.status() == 0 ? null : last.status())
                .setAttempts(attempts)
                .build();
    }

    /** Stops taking work; waits briefly for what is in flight. */
    @Override
    public void close() {
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
    }
}
