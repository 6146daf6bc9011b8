package io.replwatch.alerter.receiver;

import io.replwatch.runtime.config.ConfigNode;
import java.time.Duration;
import java.util.Set;

/**
 * What every receiver has besides its own keys: delivery settings and templates.
 *
 * <pre>
 * send_resolved: true
 * timeout: 10s            # per attempt
 * max_attempts: 12        # then dead letter
 * max_age: 1h             # or this long after the notification was made, whichever first
 * initial_backoff: 500ms  # doubled each retry, with full jitter, up to max_backoff
 * max_backoff: 1m
 * rate_limit: 1           # notifications per second; 0 = none
 * concurrency: 4          # notifications in flight to this receiver
 * title: "..."            # Mustache templates (see Templates)
 * text: "..."
 * </pre>
 */
public record ReceiverSettings(
        String name,
        String type,
        boolean sendResolved,
        Duration timeout,
        int maxAttempts,
        Duration maxAge,
        Duration initialBackoff,
        Duration maxBackoff,
        double rateLimit,
        int concurrency,
        Templates templates) {

    public static final Set<String> KEYS = Set.of("name", "type", "send_resolved", "timeout", "max_attempts",
            "max_age", "initial_backoff", "max_backoff", "rate_limit", "concurrency", "title", "text");

    /** Reads the common keys; {@code defaultRate} is the receiver type's own limit (chat services throttle). */
    public static ReceiverSettings read(final ConfigNode n, final String name, final String type,
                                        final double defaultRate) {
        final String rate = n.string("rate_limit", null);
        double r = defaultRate;
        if (rate != null) {
            try {
                r = Double.parseDouble(rate.trim());
                if (!Double.isFinite(r) || r < 0 || r > 10_000) {
                    n.problem("rate_limit", "must be 0 (none) or a number per second up to 10000 (got " + rate + ")");
                    r = defaultRate;
                }
            } catch (final NumberFormatException e) {
                n.problem("rate_limit", "must be a number of notifications per second (got '" + rate + "')");
            }
        }
        Templates templates = Templates.defaults();
        try {
            templates = new Templates(n.string("title", null), n.string("text", null));
        } catch (final IllegalArgumentException e) {
            n.problem(null, e.getMessage());
        }
        return new ReceiverSettings(name, type, n.bool("send_resolved", true),
                n.duration("timeout", Duration.ofSeconds(10), Duration.ofMillis(10)),
                n.integer("max_attempts", 12, 1, 1000),
                n.duration("max_age", Duration.ofHours(1), Duration.ofMillis(10)),
                n.duration("initial_backoff", Duration.ofMillis(500), Duration.ZERO),
                n.duration("max_backoff", Duration.ofMinutes(1), Duration.ZERO),
                r,
                n.integer("concurrency", 4, 1, 256),
                templates);
    }

    /** Settings for tests and programmatic use. */
    public static ReceiverSettings of(final String name, final String type) {
        return new ReceiverSettings(name, type, true, Duration.ofSeconds(10), 12, Duration.ofHours(1),
                Duration.ofMillis(500), Duration.ofMinutes(1), 0, 4, Templates.defaults());
    }

    public ReceiverSettings withRetry(final int attempts, final Duration initial, final Duration max,
                                      final Duration age) {
        return new ReceiverSettings(name, type, sendResolved, timeout, attempts, age, initial, max, rateLimit,
                concurrency, templates);
    }

    public ReceiverSettings withTimeout(final Duration t) {
        return new ReceiverSettings(name, type, sendResolved, t, maxAttempts, maxAge, initialBackoff, maxBackoff,
                rateLimit, concurrency, templates);
    }

    public ReceiverSettings withRateLimit(final double perSecond) {
        return new ReceiverSettings(name, type, sendResolved, timeout, maxAttempts, maxAge, initialBackoff,
                maxBackoff, perSecond, concurrency, templates);
    }
}
