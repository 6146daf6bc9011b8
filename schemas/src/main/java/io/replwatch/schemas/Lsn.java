package io.replwatch.schemas;

/**
 * A PostgreSQL write-ahead log position (pg_lsn), an unsigned 64-bit byte offset into the WAL stream.
 *
 * <p>PostgreSQL prints it as two hexadecimal halves, {@code X/Y}: the high and low 32 bits, for example
 * {@code 16/B374D848}. On the wire (Avro) an LSN is the signed {@code long} with the same bits; comparison
 * and subtraction here are unsigned so that positions above 2^63 still order correctly.
 *
 * <p>Instances are immutable and interned for {@link #INVALID}.
 */
public final class Lsn implements Comparable<Lsn> {

    /** {@code 0/0}: PostgreSQL's InvalidXLogRecPtr. */
    public static final Lsn INVALID = new Lsn(0L);

    private final long value;

    private Lsn(final long value) {
        this.value = value;
    }

    /** Wraps a raw 64-bit position (as read from {@code pg_lsn - '0/0'} or from an Avro long). */
    public static Lsn of(final long value) {
        return value == 0L ? INVALID : new Lsn(value);
    }

    /**
     * Parses PostgreSQL's text form {@code X/Y}, each half 1 to 8 hexadecimal digits.
     *
     * @throws IllegalArgumentException quoting the text when it is not an LSN
     */
    public static Lsn parse(final String text) {
        if (text == null) {
            throw new IllegalArgumentException("LSN text is null");
        }
        final int slash = text.indexOf('/');
        if (slash <= 0 || slash != text.lastIndexOf('/') || slash == text.length() - 1) {
            throw new IllegalArgumentException("Not an LSN (expected X/Y in hexadecimal): '" + text + "'");
        }
        final long hi = parseHalf(text, 0, slash);
        final long lo = parseHalf(text, slash + 1, text.length());
        return of((hi << 32) | lo);
    }

    private static long parseHalf(final String text, final int from, final int to) {
        if (to - from > 8) {
            throw new IllegalArgumentException("Not an LSN (a half has more than 8 hex digits): '" + text + "'");
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            final int d = Character.digit(text.charAt(i), 16);
            if (d < 0) {
                throw new IllegalArgumentException(
                        "Not an LSN (bad hex digit '" + text.charAt(i) + "' at " + i + "): '" + text + "'");
            }
            v = (v << 4) | d;
        }
        return v;
    }

    /** The raw 64-bit position. */
    public long value() {
        return value;
    }

    public boolean isValid() {
        return value != 0L;
    }

    /**
     * Bytes from {@code other} to this position: positive when this is ahead.
     *
     * @throws ArithmeticException when the distance does not fit a signed long (more than 8 EiB apart)
     */
    public long minus(final Lsn other) {
        final long diff = value - other.value;
        // Overflow iff the unsigned order disagrees with the sign of the difference.
        final int order = Long.compareUnsigned(value, other.value);
        if ((order > 0 && diff < 0) || (order < 0 && diff > 0)) {
            throw new ArithmeticException("LSN distance overflows a long: " + this + " - " + other);
        }
        return diff;
    }

    /** This position advanced by {@code bytes} (which may be negative). */
    public Lsn plus(final long bytes) {
        return of(value + bytes);
    }

    /** Name of the 16 MiB-segment WAL file holding this position on the given timeline. */
    public String walFileName(final int timeline, final long segmentSize) {
        final long segNo = Long.divideUnsigned(value, segmentSize);
        final long segsPerId = Long.divideUnsigned(0x100000000L, segmentSize);
        return String.format("%08X%08X%08X", timeline, segNo / segsPerId, segNo % segsPerId);
    }

    public boolean isAfter(final Lsn other) {
        return compareTo(other) > 0;
    }

    public boolean isBefore(final Lsn other) {
        return compareTo(other) < 0;
    }

    @Override
    public int compareTo(final Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof Lsn && ((Lsn) o).value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    /** PostgreSQL's text form, upper-case hex without leading zeros: {@code 16/B374D848}. */
    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    }

    /**
     * The one place raw positions are compared: PostgreSQL's {@code pg_lsn} is an unsigned 64-bit number, so a
     * signed comparison (or subtraction) is wrong for positions at or above 2^63.
     */
    public static int compare(final long a, final long b) {
        return Long.compareUnsigned(a, b);
    }

    /**
     * Bytes by which {@code behind} trails {@code ahead}, as raw positions: 0 when it does not trail (it is level
     * or ahead), {@link Long#MAX_VALUE} when the distance does not fit a long. Never negative.
     */
    public static long bytesBehind(final long ahead, final long behind) {
        if (Long.compareUnsigned(ahead, behind) <= 0) {
            return 0L;
        }
        final long diff = ahead - behind;
        return diff < 0 ? Long.MAX_VALUE : diff;
    }

    /** {@link #bytesBehind(long, long)} of nullable positions: null when either is unknown. */
    public static Long bytesBehindOrNull(final Long ahead, final Long behind) {
        return ahead == null || behind == null ? null : bytesBehind(ahead.longValue(), behind.longValue());
    }

    /** Formats a nullable raw position, for messages and JSON. */
    public static String format(final Long value) {
        return value == null ? null : of(value).toString();
    }
}
