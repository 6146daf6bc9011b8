package io.replwatch.processor.state;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The primitives of the processor's binary state format: zig-zag varints, optional values behind a presence
 * byte, UTF-8 strings behind their length (-1 for null). No field names: a format version byte in front of every
 * record says which layout follows (see {@link StateCodec}).
 */
final class Bin {

    private Bin() {
    }

    /** A growable output buffer. */
    static final class Out {
        private byte[] buf = new byte[512];
        private int pos;
        /**
         * The compact layout (node state from V7): times as the difference from {@link #base}, enums as their
         * position. Set per record by the codec; false writes the layout of V1 to V6.
         */
        boolean compact;
        long base;

        void reset() {
            pos = 0;
            compact = false;
            base = 0;
        }

        byte[] toBytes() {
            return Arrays.copyOf(buf, pos);
        }

        private void ensure(final int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        void u8(final int b) {
            ensure(1);
            buf[pos++] = (byte) b;
        }

        void bool(final boolean b) {
            u8(b ? 1 : 0);
        }

        void varLong(final long v) {
            long z = (v << 1) ^ (v >> 63);
            ensure(10);
            final byte[] b = buf;
            int p = pos;
            while ((z & ~0x7FL) != 0) {
                b[p++] = (byte) ((z & 0x7F) | 0x80);
                z >>>= 7;
            }
            b[p++] = (byte) z;
            pos = p;
        }

        /** A time (epoch ms): in the compact layout as its distance from the record's base time. */
        void time(final long t) {
            varLong(compact ? t - base : t);
        }

        void optTime(final Long t) {
            bool(t != null);
            if (t != null) {
                time(t);
            }
        }

        /** An enum constant or null: in the compact layout its position plus one (0: null), else its name. */
        void constant(final Enum<?> e) {
            if (compact) {
                varLong(e == null ? 0 : e.ordinal() + 1);
            } else {
                str(e == null ? null : e.name());
            }
        }

        void dbl(final double d) {
            final long bits = Double.doubleToRawLongBits(d);
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buf[pos++] = (byte) (bits >>> (8 * i));
            }
        }

        void optLong(final Long v) {
            bool(v != null);
            if (v != null) {
                varLong(v);
            }
        }

        void optInt(final Integer v) {
            bool(v != null);
            if (v != null) {
                varLong(v);
            }
        }

        void optDouble(final Double v) {
            bool(v != null);
            if (v != null) {
                dbl(v);
            }
        }

        void optBool(final Boolean v) {
            u8(v == null ? 2 : v ? 1 : 0);
        }

        void str(final String s) {
            if (s == null) {
                varLong(-1);
                return;
            }
            final byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varLong(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }
    }

    /** A reader over one record's bytes; reading past the end is a {@link SerializationException}. */
    static final class In {
        private final byte[] buf;
        private int pos;
        /** As {@link Out#compact} and {@link Out#base}: set by the codec from the record's format byte. */
        boolean compact;
        long base;

        In(final byte[] buf, final int from) {
            this.buf = buf;
            this.pos = from;
        }

        boolean atEnd() {
            return pos == buf.length;
        }

        int u8() {
            if (pos >= buf.length) {
                throw new SerializationException("state record truncated at byte " + pos);
            }
            return buf[pos++] & 0xFF;
        }

        boolean bool() {
            return u8() != 0;
        }

        long varLong() {
            long z = 0;
            int shift = 0;
            int b;
            do {
                if (shift > 63) {
                    throw new SerializationException("malformed varint at byte " + pos);
                }
                b = u8();
                z |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            return (z >>> 1) ^ -(z & 1);
        }

        /** The next varint, without moving past it. */
        long peekVarLong() {
            final int at = pos;
            try {
                return varLong();
            } finally {
                pos = at;
            }
        }

        int varInt() {
            return Math.toIntExact(varLong());
        }

        /** A count of elements that follow, checked against what is left so bad bytes cannot allocate much. */
        int count() {
            final long n = varLong();
            if (n < 0 || n > buf.length - pos) {
                throw new SerializationException("bad element count " + n + " at byte " + pos);
            }
            return (int) n;
        }

        double dbl() {
            long bits = 0;
            for (int i = 0; i < 8; i++) {
                bits |= (long) u8() << (8 * i);
            }
            return Double.longBitsToDouble(bits);
        }

        Long optLong() {
            return bool() ? varLong() : null;
        }

        Integer optInt() {
            return bool() ? varInt() : null;
        }

        Double optDouble() {
            return bool() ? dbl() : null;
        }

        Boolean optBool() {
            final int b = u8();
            return b == 2 ? null : b == 1;
        }

        long time() {
            return compact ? base + varLong() : varLong();
        }

        Long optTime() {
            return bool() ? time() : null;
        }

        /** An enum constant written by {@link Out#constant}; an unknown position or name is corrupt state. */
        <E extends Enum<E>> E constant(final Class<E> type) {
            if (!compact) {
                final String name = str();
                if (name == null) {
                    return null;
                }
                try {
                    return Enum.valueOf(type, name);
                } catch (final IllegalArgumentException e) {
                    throw new SerializationException("unknown " + type.getSimpleName() + " '" + name + "' in state");
                }
            }
            final long code = varLong();
            final E[] all = type.getEnumConstants();
            if (code < 0 || code > all.length) {
                throw new SerializationException("unknown " + type.getSimpleName() + " #" + code + " in state");
            }
            return code == 0 ? null : all[(int) code - 1];
        }

        String str() {
            final long n = varLong();
            if (n == -1) {
                return null;
            }
            if (n < 0 || n > buf.length - pos) {
                throw new SerializationException("bad string length " + n + " at byte " + pos);
            }
            final String s = new String(buf, pos, (int) n, StandardCharsets.UTF_8);
            pos += (int) n;
            return s;
        }
    }
}
