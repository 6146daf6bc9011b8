package io.replwatch.lake.sink;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Avro binary written with the table's own schema, straight to Parquet: no record, no boxed value and no string is
 * made in between. Compiled once per table from the Avro schema and parquet-avro's conversion of it (the same
 * Parquet schema {@link TableWriter} writes), so a row transcoded here reads back exactly as the same row
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
            // Most numbers of a sample are one byte: union branches, enum positions, short lengths, small counts.
            if (pos < end) {
                final int x = b[pos];
                if (x >= 0) {
                    pos++;
                    return (x >>> 1) ^ -(x & 1);
                }
            }
            return readLongSlow();
        }

        private long readLongSlow() {
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

    /**
     * One value of a type, present: written to its columns (the first value of each at repetition level {@code r}),
     * or only checked.
     */
    private abstract static class Node {
        abstract void write(Cursor in, ColumnWriter[] cols, int r);

        abstract void skip(Cursor in);
    }

    /**
     * A field of a record. Absent (the null branch of a nullable field), each of its {@code leaves} (column positions)
     * gets a null at its parent's definition level {@code parentDef}.
     */
    private record Field(String name, int nullIndex, Node value, int[] leaves, int parentDef) {
        boolean nullable() {
            return nullIndex >= 0;
        }

        void write(final Cursor in, final ColumnWriter[] cols, final int r) {
            if (nullIndex >= 0 && in.readInt() == nullIndex) {
                nulls(cols, leaves, r, parentDef);
            } else {
                value.write(in, cols, r);
            }
        }
    }

    private static void nulls(final ColumnWriter[] cols, final int[] leaves, final int r, final int d) {
        for (final int leaf : leaves) {
            cols[leaf].writeNull(r, d);
        }
    }

    private final String schemaName;
    private final long fingerprint;
    private final Field[] root;
    private final int clusterPos;
    private final int timePos;

    /**
     * @param parquet the table's Parquet schema (parquet-avro's conversion of {@code avro}); column positions are
     *                those of {@link MessageType#getColumns()}
     * @param clusterField the root field holding the cluster (a string)
     * @param timeField the root field that picks the date partition (a long)
     */
    Transcoder(final Schema avro, final MessageType parquet, final String clusterField, final String timeField) {
        this.schemaName = avro.getFullName();
        this.fingerprint = fingerprint(avro);
        this.root = new Compiler(parquet).fields(avro, parquet, new String[0], 0, 0);
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

    /**
     * Writes one row from a payload {@link #check} passed: every column of the row gets its values (or nulls) with
     * their repetition and definition levels, as Parquet's record shredding would give them. The caller ends the
     * record ({@code ColumnWriteStore.endRecord}).
     */
    void write(final Cursor in, final ColumnWriter[] cols) {
        for (final Field f : root) {
            f.write(in, cols, 0);
        }
    }

    private static void skipFields(final Field[] fields, final Cursor in) {
        for (final Field f : fields) {
            if (!f.nullable() || in.index(2, f.name) != f.nullIndex) {
                f.value.skip(in);
            }
        }
    }

    // ---- compiling (what TableWriter supports, the same way)

    /**
     * Compiles against the Parquet schema, with Dremel's levels: {@code def} is the definition level of the group
     * being compiled when it is present (its optional and repeated ancestors, itself included), {@code rep} its
     * repetition level (its repeated ancestors, itself included).
     */
    private static final class Compiler {
        private final List<ColumnDescriptor> descriptors;
        private final List<String[]> columns;

        Compiler(final MessageType schema) {
            this.descriptors = schema.getColumns();
            this.columns = descriptors.stream().map(ColumnDescriptor::getPath).toList();
        }

        /** Positions of the columns under {@code path}. */
        int[] leaves(final String[] path) {
            final List<Integer> out = new ArrayList<>();
            for (int i = 0; i < columns.size(); i++) {
                final String[] c = columns.get(i);
                if (c.length >= path.length && Arrays.equals(c, 0, path.length, path, 0, path.length)) {
                    out.add(i);
                }
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("no column under " + String.join(".", path));
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        /** The column at {@code path}, whose levels must be the ones the compiler counted. */
        int leaf(final String[] path, final int def, final int rep) {
            final int[] l = leaves(path);
            if (l.length != 1 || columns.get(l[0]).length != path.length) {
                throw new IllegalArgumentException(String.join(".", path) + " is not a column");
            }
            final ColumnDescriptor c = descriptors.get(l[0]);
            if (c.getMaxDefinitionLevel() != def || c.getMaxRepetitionLevel() != rep) {
                throw new IllegalStateException(String.join(".", path) + ": levels " + def + "/" + rep
                        + " counted, the schema's are " + c.getMaxDefinitionLevel() + "/" + c.getMaxRepetitionLevel());
            }
            return l[0];
        }

        Field[] fields(final Schema record, final GroupType group, final String[] path, final int def, final int rep) {
            final List<Schema.Field> fs = record.getFields();
            final Field[] out = new Field[fs.size()];
            for (final Schema.Field f : fs) {
                final Type type = group.getType(group.getFieldIndex(f.name()));
                final String where = record.getFullName() + "." + f.name();
                final int nullIndex = nullIndex(f.schema(), where);
                if ((nullIndex >= 0) != type.isRepetition(Type.Repetition.OPTIONAL)) {
                    throw new IllegalArgumentException(where + ": nullable in Avro exactly when optional in Parquet");
                }
                final Schema value = nullIndex < 0 ? f.schema() : f.schema().getTypes().get(1 - nullIndex);
                final String[] at = append(path, type.getName());
                out[f.pos()] = new Field(f.name(), nullIndex, value(value, type, at, level(type, def), rep, where),
                        leaves(at), def);
            }
            return out;
        }

        /** A present value of {@code type}, whose own definition level is {@code def}. */
        private Node value(final Schema s, final Type type, final String[] path, final int def, final int rep,
                          final String where) {
            final var logical = s.getLogicalType();
            if (logical != null && !(logical instanceof LogicalTypes.TimestampMillis)) {
                throw new IllegalArgumentException(where + ": logical type " + logical.getName() + " is not supported");
            }
            switch (s.getType()) {
                case RECORD: {
                    final Field[] fields = fields(s, type.asGroupType(), path, def, rep);
                    return new Node() {
                        @Override
                        void write(final Cursor in, final ColumnWriter[] cols, final int r) {
                            for (final Field f : fields) {
                                f.write(in, cols, r);
                            }
                        }

                        @Override
                        void skip(final Cursor in) {
                            skipFields(fields, in);
                        }
                    };
                }
                case ARRAY: {
                    final Type repeated = TableWriter.listElement(s, type, where);
                    final String[] at = append(path, repeated.getName());
                    return repeated(leaves(path), def, rep + 1,
                            value(s.getElementType(), repeated, at, def + 1, rep + 1, where + "[]"));
                }
                case MAP: {
                    final GroupType kv = type.asGroupType().getType(0).asGroupType();
                    final String[] at = append(path, kv.getName());
                    final int kvDef = def + 1;
                    final int key = leaf(append(at, kv.getType(0).getName()), kvDef, rep + 1);
                    final Type valueType = kv.getType(1);
                    final int valueNull = nullIndex(s.getValueType(), where + "{}");
                    if ((valueNull >= 0) != valueType.isRepetition(Type.Repetition.OPTIONAL)) {
                        throw new IllegalArgumentException(where + "{}: nullable in Avro exactly when optional in Parquet");
                    }
                    final String[] valueAt = append(at, valueType.getName());
                    final int[] valueLeaves = leaves(valueAt);
                    final Node value = value(valueNull < 0 ? s.getValueType() : s.getValueType().getTypes().get(1 - valueNull),
                            valueType, valueAt, level(valueType, kvDef), rep + 1, where + "{}");
                    final Node entry = node((in, cols, r) -> {
                        final int n = in.length();
                        cols[key].write(Binary.fromReusedByteArray(in.b, in.pos, n), r, kvDef);
                        in.pos += n;
                        if (valueNull >= 0 && in.readInt() == valueNull) {
                            nulls(cols, valueLeaves, r, kvDef);
                        } else {
                            value.write(in, cols, r);
                        }
                    }, in -> {
                        STRING_SKIP.skip(in);
                        if (valueNull < 0 || in.index(2, where + "{}") != valueNull) {
                            value.skip(in);
                        }
                    });
                    return repeated(leaves(path), def, rep + 1, entry);
                }
                default:
                    return primitive(s, leaf(path, def, rep), def, where);
            }
        }
    }

    /** The definition level of a present value of {@code type} under a group whose own level is {@code parentDef}. */
    private static int level(final Type type, final int parentDef) {
        return type.isRepetition(Type.Repetition.REQUIRED) ? parentDef : parentDef + 1;
    }

    private static String[] append(final String[] path, final String name) {
        final String[] out = Arrays.copyOf(path, path.length + 1);
        out[path.length] = name;
        return out;
    }

    /** A leaf value, written to column {@code col} at definition level {@code d} (its column's maximum). */
    private static Node primitive(final Schema s, final int col, final int d, final String where) {
        switch (s.getType()) {
            case STRING:
            case BYTES:
                return node((in, cols, r) -> {
                    final int n = in.length();
                    // Reused: Parquet copies what it keeps (dictionary entries, statistics) from a reused array.
                    cols[col].write(Binary.fromReusedByteArray(in.b, in.pos, n), r, d);
                    in.pos += n;
                }, STRING_SKIP);
            case ENUM: {
                final Binary[] names = s.getEnumSymbols().stream().map(Binary::fromString).toArray(Binary[]::new);
                return node((in, cols, r) -> cols[col].write(names[in.readInt()], r, d),
                        in -> in.index(names.length, where + " (enum)"));
            }
            case FIXED: {
                final int size = s.getFixedSize();
                return node((in, cols, r) -> {
                    cols[col].write(Binary.fromReusedByteArray(in.b, in.pos, size), r, d);
                    in.pos += size;
                }, in -> in.skip(size));
            }
            case LONG:
                return node((in, cols, r) -> cols[col].write(in.readLong(), r, d), Cursor::readLong);
            case INT:
                return node((in, cols, r) -> cols[col].write(in.readInt(), r, d), Cursor::readInt);
            case BOOLEAN:
                // As Avro's own decoder reads it: 1 is true, anything else false.
                return node((in, cols, r) -> cols[col].write(in.b[in.pos++] == 1, r, d), in -> in.skip(1));
            case DOUBLE:
                return node((in, cols, r) -> {
                    cols[col].write(Double.longBitsToDouble((long) LONG_LE.get(in.b, in.pos)), r, d);
                    in.pos += 8;
                }, in -> in.skip(8));
            case FLOAT:
                return node((in, cols, r) -> {
                    cols[col].write(Float.intBitsToFloat((int) INT_LE.get(in.b, in.pos)), r, d);
                    in.pos += 4;
                }, in -> in.skip(4));
            default:
                throw new IllegalArgumentException(where + ": Avro type " + s.getType() + " is not supported");
        }
    }

    /**
     * An array, or a map as its entries: Avro blocks of items, a Parquet group (present, at definition level
     * {@code def}) holding one repeated field at repetition level {@code itemRep}. The first item's values take the
     * incoming repetition level, the others {@code itemRep}; no items, and each column under the group gets one null
     * at the group's level.
     */
    private static Node repeated(final int[] leaves, final int def, final int itemRep, final Node item) {
        return node((in, cols, r) -> {
            long n = in.blockCount();
            if (n == 0) {
                nulls(cols, leaves, r, def);
                return;
            }
            int itemR = r;
            for (; n > 0; n = in.blockCount()) {
                for (long i = 0; i < n; i++) {
                    item.write(in, cols, itemR);
                    itemR = itemRep;
                }
            }
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
        void write(Cursor in, ColumnWriter[] cols, int r);
    }

    private interface Skip {
        void skip(Cursor in);
    }

    private static Node node(final Write write, final Skip skip) {
        return new Node() {
            @Override
            void write(final Cursor in, final ColumnWriter[] cols, final int r) {
                write.write(in, cols, r);
            }

            @Override
            void skip(final Cursor in) {
                skip.skip(in);
            }
        };
    }

    /** Strings and bytes: a length, then as many bytes. */
    private static final Skip STRING_SKIP = in -> in.skip(in.length());
}
