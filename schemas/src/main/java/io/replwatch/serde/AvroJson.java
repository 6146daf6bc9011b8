package io.replwatch.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;

/**
 * Plain JSON for Avro records, for people and tools: unions unwrapped (a value or null), enums as their names,
 * bytes as base64, timestamps as epoch millis (or ISO-8601 with {@link Style#HUMAN}).
 *
 * <p>Longs are JSON numbers, or strings with {@link Style#EXACT} for readers such as JavaScript that would
 * round values above 2^53 (LSNs and system identifiers reach 2^63).
 */
public final class AvroJson {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** How longs and timestamps come out. */
    public enum Style {
        /** Longs as numbers, timestamps as epoch millis. */
        PLAIN,
        /** Longs (and timestamps) as decimal strings: lossless in any JSON reader. */
        EXACT,
        /** Timestamps as ISO-8601 text and fields named *lsn as PostgreSQL's X/Y text. */
        HUMAN
    }

    private AvroJson() {
    }

    public static JsonNode toJson(final GenericContainer record, final Style style) {
        return toJson(record.getSchema(), record, style, null);
    }

    private static JsonNode toJson(final Schema schema, final Object value, final Style style, final String field) {
        if (value == null) {
            return F.nullNode();
        }
        switch (schema.getType()) {
            case RECORD: {
                final ObjectNode o = F.objectNode();
                final IndexedRecord r = (IndexedRecord) value;
                for (final Schema.Field f : schema.getFields()) {
                    o.set(f.name(), toJson(f.schema(), r.get(f.pos()), style, f.name()));
                }
                return o;
            }
            case UNION: {
                final int branch = GenericData.get().resolveUnion(schema, plain(value));
                return toJson(schema.getTypes().get(branch), value, style, field);
            }
            case ARRAY: {
                final ArrayNode a = F.arrayNode();
                for (final Object item : (List<?>) value) {
                    a.add(toJson(schema.getElementType(), item, style, field));
                }
                return a;
            }
            case MAP: {
                final ObjectNode o = F.objectNode();
                for (final Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    o.set(e.getKey().toString(), toJson(schema.getValueType(), e.getValue(), style, field));
                }
                return o;
            }
            case LONG: {
                final long v = value instanceof Instant i ? i.toEpochMilli() : ((Number) value).longValue();
                if (style == Style.EXACT) {
                    return F.textNode(Long.toString(v));
                }
                if (style == Style.HUMAN && (value instanceof Instant
                        || schema.getLogicalType() instanceof org.apache.avro.LogicalTypes.TimestampMillis)) {
                    return F.textNode(Instant.ofEpochMilli(v).toString());
                }
                if (style == Style.HUMAN && field != null && field.endsWith("lsn")) {
                    return F.textNode(io.replwatch.schemas.Lsn.of(v).toString());
                }
                return F.numberNode(v);
            }
            case INT:
                return F.numberNode(((Number) value).intValue());
            case DOUBLE:
                return F.numberNode(((Number) value).doubleValue());
            case FLOAT:
                return F.numberNode(((Number) value).floatValue());
            case BOOLEAN:
                return F.booleanNode((Boolean) value);
            case BYTES: {
                final ByteBuffer b = ((ByteBuffer) value).duplicate();
                final byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                return F.textNode(Base64.getEncoder().encodeToString(bytes));
            }
            case FIXED:
                return F.textNode(Base64.getEncoder().encodeToString(((GenericData.Fixed) value).bytes()));
            case NULL:
                return F.nullNode();
            default:
                return F.textNode(value.toString());
        }
    }

    /** Union resolution in the generic model does not know java.time types; they stand for longs. */
    private static Object plain(final Object value) {
        return value instanceof Instant i ? i.toEpochMilli() : value;
    }
}
