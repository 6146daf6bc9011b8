package io.replwatch.alerter.receiver;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Parses an HTTP Retry-After header: delay-seconds or an HTTP-date (RFC 9110). */
public final class RetryAfter {

    private RetryAfter() {
    }

    /** The delay it asks for, or null when absent or unreadable (then our own backoff applies). */
    public static Duration parse(final String header, final Clock clock) {
        if (header == null || header.isBlank()) {
            return null;
        }
        final String h = header.trim();
        try {
            final long s = Long.parseLong(h);
            return s < 0 ? null : Duration.ofSeconds(s);
        } catch (final NumberFormatException notSeconds) {
            try {
                final ZonedDateTime at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME);
                final Duration d = Duration.between(clock.instant(), at.toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (final DateTimeParseException e) {
                return null;
            }
        }
    }
}
