package io.replwatch.serde;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire-format Avro: checks the magic byte, fetches the writer schema by id (cached after the
 * first record), and resolves it against the reader schema: the generated class's schema when constructed with
 * one (so data written with an older schema version reads into the current class), otherwise the writer's
 * schema as a GenericRecord.
 *
 * <p>Every bad payload is a {@link SerializationException} naming the problem: wrong magic byte, a payload
 * shorter than the header, an empty payload, an unknown schema id, truncated Avro data, trailing bytes. A record
 * is returned whole or not at all. A null payload is a Kafka tombstone and yields null, as Kafka's contract for
 * deserializers (and compacted topics) requires. Thread-safe.
 */
public class AvroDeserializer<T> implements Deserializer<T> {

    static {
        AvroTrust.init();
    }

    private SchemaRegistryClient registry;
    private final Class<T> type;
    private Schema readerSchema;
    private boolean specific;
    /** Set by {@link #plain}: generic records resolved to this schema, strings as Utf8, timestamps as longs. */
    private Schema plainSchema;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> writers = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    /** Generic (or, with {@code specific.avro.reader=true}, specific by the writer's full name); configure first. */
    public AvroDeserializer() {
        this.type = null;
    }

    /** Specific records of {@code type}; configure first. */
    public AvroDeserializer(final Class<T> type) {
        this.type = type;
    }

    /**
     * Generic records resolved to {@code readerSchema} (records written with any compatible version read as it),
     * without logical-type conversions and with strings left as {@link org.apache.avro.util.Utf8}: the cheapest
     * decoding, for a consumer that only copies the values on (the lake). Configure first.
     */
    public static AvroDeserializer<org.apache.avro.generic.IndexedRecord> plain(final Schema readerSchema) {
        final AvroDeserializer<org.apache.avro.generic.IndexedRecord> d = new AvroDeserializer<>();
        // Generated classes mark their strings "avro.java.string": "String", which a generic reader honours: without
        // the mark, strings stay Utf8 (no decoding to UTF-16 and back).
        d.plainSchema = new Schema.Parser().parse(readerSchema.toString()
                .replace(",\"avro.java.string\":\"String\"", ""));
        return d;
    }

    /** Ready to use with an explicit client. */
    public AvroDeserializer(final SchemaRegistryClient registry, final Class<T> type) {
        this.type = type;
        this.registry = registry;
        init(null);
    }

    @Override
    public void configure(final Map<String, ?> props, final boolean isKey) {
        this.registry = SchemaRegistryClients.forConfig(props);
        init(new SerdeConfig(props).specificReader());
    }

    private void init(final Boolean specificReader) {
        AvroTrust.init();
        AvroTrust.trust(type);
        this.specific = specificReader != null ? specificReader : type != null;
        this.readerSchema = type != null && specific ? SpecificData.get().getSchema(type) : null;
    }

    @Override
    public T deserialize(final String topic, final byte[] data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new SerializationException("AvroDeserializer used before configure()");
        }
        final int id = checkHeader(topic, data);
        final DatumReader<Object> reader = reader(id, topic);
        final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(
                data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, decoders.get());
        decoders.set(decoder);
        final Object record;
        try {
            record = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("Payload on topic " + topic + " has trailing bytes after a record"
                        + " of schema id " + id + ": corrupt, or written with another schema");
            }
        } catch (final IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw corrupt(topic, id, data.length, e);
        }
        if (type != null && !type.isInstance(record)) {
            throw new SerializationException("Record of schema id " + id + " on topic " + topic + " is "
                    + record.getClass().getName() + ", not " + type.getName());
        }
        @SuppressWarnings("unchecked")
        final T result = (T) record;
        return result;
    }

    /** The schema id of a wire-format payload, after checking its header; a SerializationException naming the problem. */
    private static int checkHeader(final String topic, final byte[] data) {
        if (data.length == 0) {
            throw new SerializationException("Empty payload on topic " + topic + ": not Confluent wire format");
        }
        if (data[0] != WireFormat.MAGIC) {
            throw new SerializationException(String.format(
                    "Unknown magic byte 0x%02X on topic %s (expected 0x00, Confluent wire format)", data[0], topic));
        }
        if (data.length < WireFormat.HEADER_SIZE) {
            throw new SerializationException("Payload of " + data.length + " bytes on topic " + topic
                    + " is shorter than the 5-byte wire-format header");
        }
        return WireFormat.schemaId(data);
    }

    /**
     * The schema a non-null wire-format payload was written with (from the registry, cached by id), after the same
     * header checks as {@link #deserialize}: for a consumer that reads payloads of its own schema another way.
     */
    public Schema writerSchema(final String topic, final byte[] data) {
        if (registry == null) {
            throw new SerializationException("AvroDeserializer used before configure()");
        }
        final int id = checkHeader(topic, data);
        final Schema cached = writers.get(id);
        if (cached != null) {
            return cached;
        }
        final Schema fetched = fetch(id, topic);
        writers.put(id, fetched);
        return fetched;
    }

    private Schema fetch(final int id, final String topic) {
        try {
            return registry.getById(id);
        } catch (final RegistryException e) {
            throw new SerializationException((e.notFound() ? "Unknown schema id " + id : "Cannot fetch schema id " + id)
                    + " for a record on topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** The wording of every undecodable-payload error, for the ones a consumer finds itself. */
    public static SerializationException corrupt(final String topic, final int id, final int bytes, final Exception e) {
        return new SerializationException("Truncated or corrupt Avro payload on topic " + topic + " (schema id "
                + id + ", " + bytes + " bytes): " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
    }

    /**
     * No conversions registered (timestamps stay longs); maps keep the order they were written in (a HashMap of Utf8
     * keys would reorder them). Avro's fast reader creates maps through {@link GenericData#newMap} too.
     */
    private static final GenericData PLAIN = new GenericData() {
        @Override
        public Object newMap(final Object old, final int size) {
            return new java.util.LinkedHashMap<>(Math.max(4, size * 2));
        }
    };

    private DatumReader<Object> reader(final int id, final String topic) {
        final DatumReader<Object> cached = readers.get(id);
        if (cached != null) {
            return cached;
        }
        final Schema writer = fetch(id, topic);
        final DatumReader<Object> reader;
        if (plainSchema != null) {
            reader = new GenericDatumReader<>(writer, plainSchema, PLAIN);
        } else if (specific) {
            final Schema target = readerSchema != null ? readerSchema : writer;
            reader = new ListDatumReader(writer, target,
                    readerSchema != null ? SpecificData.getForClass(type) : SpecificData.get());
        } else {
            reader = new GenericDatumReader<>(writer, writer, GenericData.get());
        }
        readers.put(id, reader);
        return reader;
    }

    /**
     * Decodes arrays into {@link ArrayList} rather than GenericData.Array, whose equals() ignores the logical
     * type conversions of generated classes and fails on timestamp fields inside array items.
     */
    private static final class ListDatumReader extends SpecificDatumReader<Object> {
        ListDatumReader(final Schema writer, final Schema reader, final SpecificData data) {
            super(writer, reader, data);
        }

        @Override
        protected Object newArray(final Object old, final int size, final Schema schema) {
            if (old instanceof Collection<?> c) {
                c.clear();
                return c;
            }
            return new ArrayList<>(size);
        }
    }

    @Override
    public void close() {
        // The registry client is shared between serdes with the same settings.
    }
}
