package io.replwatch.lake.sink;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.Type;

/**
 * Avro binary written with the table's own schema, straight to Parquet: no record, no boxed value and no string is
 * made in between. Compiled once per table from the Avro schema and parquet-avro's conversion of it (the same
 * Parquet schema {@link DirectWriteSupport} writes), so a row transcoded here reads back exactly as the same row
 * decoded and written as a record.
 *
 * <p>Two passes over a payload. {@link #check} walks all of it first: every length, union branch, enum symbol and
 * block count within bounds, no byte left over; it returns what picks the row's file (cluster and partition time).
 * Only a payload that passed is written ({@link #write}), so a corrupt record goes to the dead letters whole and
 * never leaves half a row in a file (a Parquet row cannot be taken back). Payloads written with any other schema
 * version go the resolving way (decoded into a record, then written); {@link #fingerprint} tells them apart.
 */
final class Transcoder {

    /** What picks a row's file before it is written. */
    record Key(String cluster, long timeMillis) {
    }

    /** A payload that is not a well-formed record of the schema; the message says where. */
    static final class CorruptPayload extends RuntimeException {
        CorruptPayload(final String message) {
            super(message, null, false, false);
        }
    }

    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** A bounds-checked cursor over one payload. Not thread-safe: one per writer, or per call. */
    static final class Cursor {
        private byte[] b;
        private int pos;
        private int end;

        Cursor reset(final byte[] bytes, final int offset, final int length) {
            this.b = bytes;
            this.pos = offset;
            this.end = offset + length;
            return this;
        }

        long readLong() {
            long n = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new CorruptPayload("truncated: a number runs past the end of the payload");
                }
                final int x = b[pos++];
                n |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) {
                    return (n >>> 1) ^ -(n & 1);
                }
            }
            throw new CorruptPayload("a variable-length number longer than 10 bytes");
        }

        int readInt() {
            final long v = readLong();
            if (v != (int) v) {
                throw new CorruptPayload("an int out of range: " + v);
            }
            return (int) v;
        }

        /** A length prefix, within what is left of the payload. */
        int length() {
            final long n = readLong();
            if (n < 0 || n > end - pos) {
                throw new CorruptPayload(n < 0 ? "a negative length: " + n
                        : "truncated: a length of " + n + " with " + (end - pos) + " bytes left");
            }
            return (int) n;
        }

        /** Steps over {@code n} bytes that must be there. */
        void skip(final int n) {
            if (end - pos < n) {
                throw new CorruptPayload("truncated: " + n + " bytes needed, " + (end - pos) + " left");
            }
            pos += n;
        }

        /** The item count of an array or map block; a negative count is followed by the block's size in bytes. */
        long blockCount() {
            long n = readLong();
            if (n < 0) {
                if (n == Long.MIN_VALUE) {
                    throw new CorruptPayload("a block count out of range");
                }
                n = -n;
                readLong();
            }
            if (n > end - pos && n > 0) {
                // Every item of the lake's schemas takes at least one byte.
                throw new CorruptPayload("truncated: a block of " + n + " items with " + (end - pos) + " bytes left");
            }
            return n;
        }

        int index(final int count, final String what) {
            final int i = readInt();
            if (i < 0 || i >= count) {
                throw new CorruptPayload(what + " index " + i + " out of range 0.." + (count - 1));
            }
            return i;
        }

        boolean atEnd() {
            return pos == end;
        }

        int left() {
            return end - pos;
        }
    }

    /** One value of a type: written to Parquet, or only checked. */
    private abstract static class Node {
        abstract void write(Cursor in, RecordConsumer rc);

        abstract void skip(Cursor in);
    }

    private record Field(String name, int index, int nullIndex, Node value) {
        boolean nullable() {
            return nullIndex >= 0;
        }
    }

    private final String schemaName;
    private final long fingerprint;
    private final Field[] root;
    private final int clusterPos;
    private final int timePos;

    /**
     * @param clusterField the root field holding the cluster (a string)
     * @param timeField the root field that picks the date partition (a long)
     */
    Transcoder(final Schema avro, final GroupType parquet, final String clusterField, final String timeField) {
        this.schemaName = avro.getFullName();
        this.fingerprint = fingerprint(avro);
        this.root = fields(avro, parquet);
        this.clusterPos = avro.getField(clusterField).pos();
        this.timePos = avro.getField(timeField).pos();
        if (root[clusterPos].nullable() || avro.getField(clusterField).schema().getType() != Schema.Type.STRING) {
            throw new IllegalArgumentException(clusterField + " must be a string that is never null");
        }
        if (root[timePos].nullable() || avro.getField(timeField).schema().getType() != Schema.Type.LONG) {
            throw new IllegalArgumentException(timeField + " must be a long that is never null");
        }
    }

    /**
     * The schema's identity for binary decoding: its parsing canonical form (names, types, order), without docs,
     * defaults, logical types or properties. Payloads of a writer schema with this fingerprint are transcoded.
     */
    static long fingerprint(final Schema s) {
        return SchemaNormalization.parsingFingerprint64(s);
    }

    long fingerprint() {
        return fingerprint;
    }

    /** Walks the whole payload; its cluster and partition time if it is one well-formed record, else CorruptPayload. */
    Key check(final Cursor in) {
        String cluster = null;
        long time = 0;
        for (int i = 0; i < root.length; i++) {
            final Field f = root[i];
            if (i == clusterPos) {
                final int n = in.length();
                cluster = new String(in.b, in.pos, n, StandardCharsets.UTF_8);
                in.pos += n;
            } else if (i == timePos) {
                time = in.readLong();
            } else if (!f.nullable() || in.index(2, f.name) != f.nullIndex) {
                f.value.skip(in);
            }
        }
        if (!in.atEnd()) {
            throw new CorruptPayload(in.left() + " trailing bytes after a record of " + schemaName);
        }
        return new Key(cluster, time);
    }

    /** Writes one row from a payload {@link #check} passed. */
    void write(final Cursor in, final RecordConsumer rc) {
        rc.startMessage();
        writeFields(root, in, rc);
        rc.endMessage();
    }

    private static void writeFields(final Field[] fields, final Cursor in, final RecordConsumer rc) {
        for (final Field f : fields) {
            if (f.nullable() && in.readInt() == f.nullIndex) {
                continue;
            }
            rc.startField(f.name, f.index);
            f.value.write(in, rc);
            rc.endField(f.name, f.index);
        }
    }

    private static void skipFields(final Field[] fields, final Cursor in) {
        for (final Field f : fields) {
            if (!f.nullable() || in.index(2, f.name) != f.nullIndex) {
                f.value.skip(in);
            }
        }
    }

    // ---- compiling (what DirectWriteSupport supports, the same way)

    private static Field[] fields(final Schema record, final GroupType group) {
        final List<Schema.Field> fs = record.getFields();
        final Field[] out = new Field[fs.size()];
        for (final Schema.Field f : fs) {
            final int index = group.getFieldIndex(f.name());
            final String where = record.getFullName() + "." + f.name();
            final int nullIndex = nullIndex(f.schema(), where);
            final Schema value = nullIndex < 0 ? f.schema() : f.schema().getTypes().get(1 - nullIndex);
            out[f.pos()] = new Field(f.name(), index, nullIndex, node(value, group.getType(index), where));
        }
        return out;
    }

    private static Node node(final Schema s, final Type type, final String where) {
        final var logical = s.getLogicalType();
        if (logical != null && !(logical instanceof LogicalTypes.TimestampMillis)) {
            throw new IllegalArgumentException(where + ": logical type " + logical.getName() + " is not supported");
        }
        switch (s.getType()) {
            case RECORD: {
                final Field[] fields = fields(s, type.asGroupType());
                return new Node() {
                    @Override
                    void write(final Cursor in, final RecordConsumer rc) {
                        rc.startGroup();
                        writeFields(fields, in, rc);
                        rc.endGroup();
                    }

                    @Override
                    void skip(final Cursor in) {
                        skipFields(fields, in);
                    }
                };
            }
            case ARRAY: {
                final Type repeated = DirectWriteSupport.listElement(s, type, where);
                return repeated(repeated.getName(), node(s.getElementType(), repeated, where + "[]"));
            }
            case MAP: {
                final GroupType kv = type.asGroupType().getType(0).asGroupType();
                final String keyName = kv.getType(0).getName();
                final String valueName = kv.getType(1).getName();
                final int valueNull = nullIndex(s.getValueType(), where + "{}");
                final Node value = node(valueNull < 0 ? s.getValueType() : s.getValueType().getTypes().get(1 - valueNull),
                        kv.getType(1), where + "{}");
                final Node entry = node((in, rc) -> {
                    rc.startGroup();
                    rc.startField(keyName, 0);
                    STRING.write(in, rc);
                    rc.endField(keyName, 0);
                    if (valueNull < 0 || in.readInt() != valueNull) {
                        rc.startField(valueName, 1);
                        value.write(in, rc);
                        rc.endField(valueName, 1);
                    }
                    rc.endGroup();
                }, in -> {
                    STRING.skip(in);
                    if (valueNull < 0 || in.index(2, where + "{}") != valueNull) {
                        value.skip(in);
                    }
                });
                return repeated(kv.getName(), entry);
            }
            case STRING:
            case BYTES:
                return STRING;
            case ENUM: {
                final Binary[] names = s.getEnumSymbols().stream().map(Binary::fromString).toArray(Binary[]::new);
                return node((in, rc) -> rc.addBinary(names[in.readInt()]), in -> in.index(names.length, where + " (enum)"));
            }
            case FIXED: {
                final int size = s.getFixedSize();
                return node((in, rc) -> {
                    rc.addBinary(Binary.fromReusedByteArray(in.b, in.pos, size));
                    in.pos += size;
                }, in -> in.skip(size));
            }
            case LONG:
                return node((in, rc) -> rc.addLong(in.readLong()), Cursor::readLong);
            case INT:
                return node((in, rc) -> rc.addInteger(in.readInt()), Cursor::readInt);
            case BOOLEAN:
                // As Avro's own decoder reads it: 1 is true, anything else false.
                return node((in, rc) -> rc.addBoolean(in.b[in.pos++] == 1), in -> in.skip(1));
            case DOUBLE:
                return node((in, rc) -> {
                    rc.addDouble(Double.longBitsToDouble((long) LONG_LE.get(in.b, in.pos)));
                    in.pos += 8;
                }, in -> in.skip(8));
            case FLOAT:
                return node((in, rc) -> {
                    rc.addFloat(Float.intBitsToFloat((int) INT_LE.get(in.b, in.pos)));
                    in.pos += 4;
                }, in -> in.skip(4));
            default:
                throw new IllegalArgumentException(where + ": Avro type " + s.getType() + " is not supported");
        }
    }

    /**
     * An array, or a map as its entries: Avro blocks of items, a Parquet group holding one repeated field (absent when
     * there are no items).
     */
    private static Node repeated(final String name, final Node item) {
        return node((in, rc) -> {
            rc.startGroup();
            long n = in.blockCount();
            if (n > 0) {
                rc.startField(name, 0);
                for (; n > 0; n = in.blockCount()) {
                    for (long i = 0; i < n; i++) {
                        item.write(in, rc);
                    }
                }
                rc.endField(name, 0);
            }
            rc.endGroup();
        }, in -> {
            for (long n = in.blockCount(); n > 0; n = in.blockCount()) {
                for (long i = 0; i < n; i++) {
                    item.skip(in);
                }
            }
        });
    }

    /** The null branch's index of a [null, T] union; -1 for any other schema. */
    private static int nullIndex(final Schema s, final String where) {
        if (s.getType() != Schema.Type.UNION) {
            return -1;
        }
        final List<Schema> branches = s.getTypes();
        if (branches.size() != 2 || (branches.get(0).getType() == Schema.Type.NULL)
                == (branches.get(1).getType() == Schema.Type.NULL)) {
            throw new IllegalArgumentException(where + ": unions other than [null, T] are not supported");
        }
        return branches.get(0).getType() == Schema.Type.NULL ? 0 : 1;
    }

    private interface Write {
        void write(Cursor in, RecordConsumer rc);
    }

    private interface Skip {
        void skip(Cursor in);
    }

    private static Node node(final Write write, final Skip skip) {
        return new Node() {
            @Override
            void write(final Cursor in, final RecordConsumer rc) {
                write.write(in, rc);
            }

            @Override
            void skip(final Cursor in) {
                skip.skip(in);
            }
        };
    }

    /** Strings and bytes: a length, then as many bytes, written as they are. */
    private static final Node STRING = node((in, rc) -> {
        final int n = in.length();
        // Reused: Parquet copies what it keeps (dictionary entries, statistics) from a reused array.
        rc.addBinary(Binary.fromReusedByteArray(in.b, in.pos, n));
        in.pos += n;
    }, in -> in.skip(in.length()));
}
