package io.replwatch.processor.health;

import io.replwatch.runtime.config.Durations;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The unit a rule's thresholds are written in, and how a configured value is read into the rule's base unit
 * (milliseconds, bytes, a count, a ratio). Each rule declares its unit, so a value in the wrong unit is a listed
 * problem instead of a silent misreading: {@code LAG_TIME: {warning: 60}} is refused (60 what?), not read as
 * 60 milliseconds.
 */
public enum ThresholdUnit {

    /** Milliseconds, written as a duration: {@code 60s}, {@code 5m}, {@code 1h30m}, {@code 500ms}. */
    DURATION("ms", "a duration such as 60s or 5m"),
    /**
     * Bytes, written as a size with its unit. kB, MB, GB and TB are 1024-based, as PostgreSQL reads them in
     * postgresql.conf (so a threshold reads like the setting it is compared with); KiB, MiB, GiB and TiB mean the
     * same; B is bytes.
     */
    BYTES("bytes", "a size such as 256MB or 1GB (1024-based, as in postgresql.conf)"),
    /** A whole number of things: {@code 100}. */
    COUNT("count", "a whole number such as 100"),
    /** A fraction of a maximum: {@code 0.8} or {@code 80%}. */
    RATIO("ratio", "a fraction such as 0.8 or 80%"),
    /** The rule has no thresholds, only {@code for} and {@code clear_for}. */
    NONE(null, "nothing: the rule has no thresholds");

    private static final Pattern NUMBER = Pattern.compile("\\d+(?:\\.\\d+)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]+)");
    private static final Pattern PERCENT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*%");

    private final String baseUnit;
    private final String example;

    ThresholdUnit(final String baseUnit, final String example) {
        this.baseUnit = baseUnit;
        this.example = example;
    }

    /** The unit values are held and reported in (a finding's unit): ms, bytes, count, ratio. */
    public String baseUnit() {
        return baseUnit;
    }

    /** What a value of this unit looks like, for error messages and the README. */
    public String example() {
        return example;
    }

    /**
     * Reads a configured value into the base unit.
     *
     * @throws IllegalArgumentException naming the unit expected, for anything else (a bare number where a unit is
     *         needed, a negative or non-finite number, a ratio above 1)
     */
    public double parse(final String text) {
        final String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (this) {
            case DURATION -> {
                if (NUMBER.matcher(t).matches()) {
                    throw new IllegalArgumentException("'" + text + "' has no unit: write " + example);
                }
                try {
                    return Durations.parse(t).toMillis();
                } catch (final IllegalArgumentException | ArithmeticException e) {
                    throw new IllegalArgumentException("'" + text + "' is not " + example);
                }
            }
            case BYTES -> {
                if (NUMBER.matcher(t).matches()) {
                    throw new IllegalArgumentException("'" + text + "' has no unit: write " + example);
                }
                final Matcher m = SIZE.matcher(t);
                if (!m.matches()) {
                    throw new IllegalArgumentException("'" + text + "' is not " + example);
                }
                final double factor = switch (m.group(2)) {
                    case "b" -> 1d;
                    case "kb", "kib" -> 1024d;
                    case "mb", "mib" -> 1024d * 1024;
                    case "gb", "gib" -> 1024d * 1024 * 1024;
                    case "tb", "tib" -> 1024d * 1024 * 1024 * 1024;
                    default -> throw new IllegalArgumentException("'" + text + "' " + (isDuration(t)
                            ? "is a duration, not a size" : "has an unknown size unit '" + m.group(2) + "'")
                            + ": write " + example);
                };
                return Double.parseDouble(m.group(1)) * factor;
            }
            case COUNT -> {
                if (!t.matches("\\d{1,15}")) {
                    throw new IllegalArgumentException("'" + text + "' is not " + example);
                }
                return Long.parseLong(t);
            }
            case RATIO -> {
                final Matcher pct = PERCENT.matcher(t);
                final double r;
                if (pct.matches()) {
                    r = Double.parseDouble(pct.group(1)) / 100;
                } else if (NUMBER.matcher(t).matches()) {
                    r = Double.parseDouble(t);
                } else {
                    throw new IllegalArgumentException("'" + text + "' is not " + example);
                }
                if (r > 1) {
                    throw new IllegalArgumentException("'" + text + "' is above 1 (100%): write " + example);
                }
                return r;
            }
            default -> throw new IllegalArgumentException("this rule takes no thresholds, only for and clear_for");
        }
    }

    private static boolean isDuration(final String text) {
        try {
            Durations.parse(text);
            return true;
        } catch (final IllegalArgumentException | ArithmeticException e) {
            return false;
        }
    }

    /** A value of this unit as a person writes it in the config: {@code 60s}, {@code 256MB}, {@code 100}, {@code 0.8}. */
    public String format(final double value) {
        return switch (this) {
            case DURATION -> io.replwatch.runtime.config.Durations.format(java.time.Duration.ofMillis((long) value));
            case BYTES -> {
                final String[] units = {"B", "kB", "MB", "GB", "TB"};
                double v = value;
                int u = 0;
                while (u < units.length - 1 && v >= 1024 && v % 1024 == 0) {
                    v /= 1024;
                    u++;
                }
                yield (long) v + units[u];
            }
            case COUNT -> String.valueOf((long) value);
            default -> String.valueOf(value);
        };
    }
}
