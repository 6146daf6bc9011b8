package io.replwatch.runtime.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in configs and on command lines: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h30m}. */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Durations() {
    }

    /**
     * Parses {@code 90s}, {@code 1m30s}, {@code 250ms}, {@code 2h}, {@code 1d}, or ISO-8601 ({@code PT5S}).
     *
     * @throws IllegalArgumentException quoting the text when it is none of those
     */
    public static Duration parse(final String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("Not a duration: '" + text + "' (use e.g. 500ms, 5s, 2m, 1h)");
        }
        final String t = text.trim().toLowerCase();
        if (t.startsWith("pt") || t.startsWith("p")) {
            try {
                final Duration d = Duration.parse(text.trim().toUpperCase());
                d.toMillis();
                return d;
            } catch (final ArithmeticException e) {
                throw new IllegalArgumentException("Too long a duration: '" + text + "'");
            } catch (final java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("Not a duration: '" + text + "' (use e.g. 500ms, 5s, 2m, 1h)");
            }
        }
        final Matcher m = PART.matcher(t);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                break;
            }
            try {
                final long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
                total.toMillis(); // what every caller needs: it must fit
            } catch (final NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException("Too long a duration: '" + text + "'");
            }
            end = m.end();
        }
        if (end != t.length() || end == 0) {
            throw new IllegalArgumentException("Not a duration: '" + text + "' (use e.g. 500ms, 5s, 2m, 1h)");
        }
        return total;
    }

    /** The short form: {@code 1m30s}, {@code 250ms}. */
    public static String format(final Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        final StringBuilder sb = new StringBuilder();
        long ms = d.toMillis();
        final long h = ms / 3_600_000;
        ms %= 3_600_000;
        final long m = ms / 60_000;
        ms %= 60_000;
        final long s = ms / 1000;
        ms %= 1000;
        if (h > 0) {
            sb.append(h).append('h');
        }
        if (m > 0) {
            sb.append(m).append('m');
        }
        if (s > 0) {
            sb.append(s).append('s');
        }
        if (ms > 0) {
            sb.append(ms).append("ms");
        }
        return sb.toString();
    }
}
