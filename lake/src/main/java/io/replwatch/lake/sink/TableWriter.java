package io.replwatch.lake.sink;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.util.Utf8;
import org.apache.parquet.avro.AvroSchemaConverter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * One table's rows, compiled once from its Avro schema: the Parquet schema (parquet-avro's conversion, two-level
 * lists as its default), the footer metadata parquet-avro writes (the Avro schema under the same key, so files read
 * back exactly as before in AvroParquetReader, DuckDB or Spark), a {@link Transcoder} for payloads of the schema
 * itself, and writers for records of it.
 *
 * <p>Records (payloads of another schema version, decoded and resolved) go through Parquet's record shredding,
 * compiled per field: each field's position, Parquet index and value writer are resolved up front, so a row costs one
 * {@code get(pos)} and one consumer call per value. parquet-avro's own AvroWriteSupport resolves unions, conversions
 * and field names for every value; for the sample schema (about 80 columns, most of them nullable) it spent most of
 * the sink's time there. Supported: records, nullable unions of one type, arrays, maps with string keys, enums,
 * strings, bytes, fixed, the primitives, and timestamp-millis longs (as {@link Instant} or long); anything else is
 * refused when the table is compiled, not in the middle of a file.
 */
final class TableWriter {

    /** Writes one non-null value of a field. */
    private interface ValueWriter {
        void write(RecordConsumer rc, Object value);
    }

    private record FieldWriter(String name, int index, int pos, boolean required, ValueWriter writer) {
    }

    private final MessageType parquet;
    private final Map<String, String> metadata;
    private final FieldWriter[] root;
    private final Transcoder transcoder;

    TableWriter(final Schema avro) {
        this(avro, null, null);
    }

    /** With a transcoder for payloads of {@code avro} itself, whose rows are filed by the two fields named. */
    TableWriter(final Schema avro, final String clusterField, final String timeField) {
        this.parquet = new AvroSchemaConverter(new PlainParquetConfiguration()).convert(avro);
        this.metadata = Map.of("parquet.avro.schema", avro.toString(), "writer.model.name", "avro");
        this.root = fields(avro, parquet);
        this.transcoder = clusterField == null ? null : new Transcoder(avro, parquet, clusterField, timeField);
    }

    Transcoder transcoder() {
        return transcoder;
    }

    MessageType parquetSchema() {
        return parquet;
    }

    /** The file's key-value metadata, as parquet-avro writes it. */
    Map<String, String> metadata() {
        return metadata;
    }

    /** Writes one record as a row (a message) to {@code consumer}. */
    void write(final RecordConsumer consumer, final IndexedRecord row) {
        consumer.startMessage();
        writeFields(consumer, root, row);
        consumer.endMessage();
    }

    private static void writeFields(final RecordConsumer rc, final FieldWriter[] fields, final IndexedRecord r) {
        for (final FieldWriter f : fields) {
            final Object v = r.get(f.pos);
            if (v == null) {
                if (f.required) {
                    throw new IllegalArgumentException("null in the required field " + f.name + " of "
                            + r.getSchema().getFullName());
                }
                continue;
            }
            rc.startField(f.name, f.index);
            f.writer.write(rc, v);
            rc.endField(f.name, f.index);
        }
    }

    // ---- compiling

    private static FieldWriter[] fields(final Schema record, final GroupType group) {
        final List<FieldWriter> out = new ArrayList<>();
        for (final Schema.Field f : record.getFields()) {
            final int index = group.getFieldIndex(f.name());
            final Type type = group.getType(index);
            final Schema nonNull = nonNull(f.schema());
            out.add(new FieldWriter(f.name(), index, f.pos(), type.isRepetition(Type.Repetition.REQUIRED),
                    writer(nonNull, type, record.getFullName() + "." + f.name())));
        }
        return out.toArray(new FieldWriter[0]);
    }

    /** The one non-null branch of a nullable union, or the schema itself. */
    private static Schema nonNull(final Schema s) {
        if (s.getType() != Schema.Type.UNION) {
            return s;
        }
        final List<Schema> branches = s.getTypes().stream().filter(b -> b.getType() != Schema.Type.NULL).toList();
        if (branches.size() != 1) {
            throw new IllegalArgumentException("unions other than [null, T] are not supported: " + s);
        }
        return branches.get(0);
    }

    private static ValueWriter writer(final Schema s, final Type type, final String where) {
        final var logical = s.getLogicalType();
        if (logical != null && !(logical instanceof LogicalTypes.TimestampMillis)) {
            throw new IllegalArgumentException(where + ": logical type " + logical.getName() + " is not supported");
        }
        switch (s.getType()) {
            case RECORD: {
                final FieldWriter[] fields = fields(s, type.asGroupType());
                return (rc, v) -> {
                    rc.startGroup();
                    writeFields(rc, fields, (IndexedRecord) v);
                    rc.endGroup();
                };
            }
            case ARRAY: {
                final Type repeated = listElement(s, type, where);
                final String name = repeated.getName();
                final ValueWriter element = writer(s.getElementType(), repeated, where + "[]");
                return (rc, v) -> {
                    final Collection<?> c = (Collection<?>) v;
                    rc.startGroup();
                    if (!c.isEmpty()) {
                        rc.startField(name, 0);
                        for (final Object e : c) {
                            element.write(rc, e);
                        }
                        rc.endField(name, 0);
                    }
                    rc.endGroup();
                };
            }
            case MAP: {
                final GroupType kv = type.asGroupType().getType(0).asGroupType();
                final String kvName = kv.getName();
                final String keyName = kv.getType(0).getName();
                final String valueName = kv.getType(1).getName();
                final Schema valueSchema = nonNull(s.getValueType());
                final ValueWriter value = writer(valueSchema, kv.getType(1), where + "{}");
                return (rc, v) -> {
                    final Map<?, ?> m = (Map<?, ?>) v;
                    rc.startGroup();
                    if (!m.isEmpty()) {
                        rc.startField(kvName, 0);
                        for (final Map.Entry<?, ?> e : m.entrySet()) {
                            rc.startGroup();
                            rc.startField(keyName, 0);
                            rc.addBinary(string(e.getKey()));
                            rc.endField(keyName, 0);
                            if (e.getValue() != null) {
                                rc.startField(valueName, 1);
                                value.write(rc, e.getValue());
                                rc.endField(valueName, 1);
                            }
                            rc.endGroup();
                        }
                        rc.endField(kvName, 0);
                    }
                    rc.endGroup();
                };
            }
            case STRING:
                return (rc, v) -> rc.addBinary(string(v));
            case ENUM:
                return (rc, v) -> rc.addBinary(Binary.fromString(v.toString()));
            case BYTES:
                return (rc, v) -> rc.addBinary(Binary.fromReusedByteBuffer(((ByteBuffer) v).duplicate()));
            case FIXED:
                return (rc, v) -> rc.addBinary(Binary.fromReusedByteArray(((GenericFixed) v).bytes()));
            case LONG:
                return (rc, v) -> rc.addLong(v instanceof Instant i ? i.toEpochMilli() : ((Number) v).longValue());
            case INT:
                return (rc, v) -> rc.addInteger(((Number) v).intValue());
            case BOOLEAN:
                return (rc, v) -> rc.addBoolean((Boolean) v);
            case DOUBLE:
                return (rc, v) -> rc.addDouble(((Number) v).doubleValue());
            case FLOAT:
                return (rc, v) -> rc.addFloat(((Number) v).floatValue());
            default:
                throw new IllegalArgumentException(where + ": Avro type " + s.getType() + " is not supported");
        }
    }

    /** The repeated element of a two-level Parquet list of non-null elements (the only lists the lake writes). */
    static Type listElement(final Schema array, final Type type, final String where) {
        final GroupType list = type.asGroupType();
        final Type repeated = list.getType(0);
        if (list.getFieldCount() != 1 || !repeated.isRepetition(Type.Repetition.REPEATED)
                || array.getElementType().getType() == Schema.Type.UNION) {
            throw new IllegalArgumentException(where + ": only two-level lists of non-null elements are supported");
        }
        return repeated;
    }

    private static Binary string(final Object v) {
        if (v instanceof Utf8 u) {
            return Binary.fromReusedByteArray(u.getBytes(), 0, u.getByteLength());
        }
        return Binary.fromString(v.toString());
    }
}
