package io.replwatch.alerter.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The alerter's meters. Receivers are labelled by their configured name only: never a URL or key.
 * <ul>
 * <li>{@code replwatch_alerter_notifications_total{receiver,outcome}}: outcome = sent, failed (an attempt
 * failed), dead_lettered, skipped (resolved-only with send_resolved false)</li>
 * <li>{@code replwatch_alerter_retries_total{receiver}}</li>
 * <li>{@code replwatch_alerter_delivery_latency_seconds{receiver}}: from the transition consumed to the
 * receiver's 2xx (histogram)</li>
 * <li>{@code replwatch_alerter_transitions_total{outcome}}: consumed, dead_lettered</li>
 * </ul>
 */
public final class AlerterMetrics {

    private final MeterRegistry registry;

    public AlerterMetrics(final MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void outcome(final String receiver, final String outcome) {
        Counter.builder("replwatch.alerter.notifications").tag("receiver", receiver).tag("outcome", outcome)
                .description("Notifications by receiver and outcome").register(registry).increment();
    }

    public void retry(final String receiver) {
        Counter.builder("replwatch.alerter.retries").tag("receiver", receiver)
                .description("Delivery attempts retried").register(registry).increment();
    }

    public void latency(final String receiver, final Duration d) {
        Timer.builder("replwatch.alerter.delivery.latency").tag("receiver", receiver)
                .description("From the transition consumed to the receiver's acceptance")
                .publishPercentileHistogram()
                .register(registry).record(d.isNegative() ? Duration.ZERO : d);
    }

    public void transition(final String outcome) {
        Counter.builder("replwatch.alerter.transitions").tag("outcome", outcome)
                .description("Health transitions consumed").register(registry).increment();
    }

    public double count(final String receiver, final String outcome) {
        final Counter c = registry.find("replwatch.alerter.notifications").tag("receiver", receiver)
                .tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }
}
