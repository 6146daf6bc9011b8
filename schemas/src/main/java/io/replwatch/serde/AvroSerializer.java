package io.replwatch.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serializes Avro records (SpecificRecord or GenericRecord) in Confluent's wire format.
 *
 * <p>The writer schema is the record's own; its id comes from the registry under the TopicNameStrategy
 * subject, registered when {@code auto.register.schemas} is true (the default), looked up otherwise, or the
 * subject's latest id with {@code use.latest.version}. Ids are cached, so only the first record of each schema
 * calls the registry. A null record serializes to null (a tombstone). Thread-safe.
 */
public class AvroSerializer<T extends GenericContainer> implements Serializer<T> {

    static {
        AvroTrust.init();
    }

    private SchemaRegistryClient registry;
    private SerdeConfig config;
    private boolean isKey;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);
    /** Fast path for the common case of one schema per topic: identity hit, no hashing. */
    private volatile Cached last;

    private record Cached(String topic, Schema schema, int id) {
    }

    private static final class Buffers {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        BinaryEncoder encoder;
    }

    /** For Kafka's reflective construction; call {@link #configure(Map, boolean)}. */
    public AvroSerializer() {
    }

    /** Ready to use with an explicit client (tests, tools). */
    public AvroSerializer(final SchemaRegistryClient registry, final Map<String, ?> props, final boolean isKey) {
        this.registry = registry;
        this.config = new SerdeConfig(props);
        this.isKey = isKey;
    }

    @Override
    public void configure(final Map<String, ?> props, final boolean isKey) {
        this.config = new SerdeConfig(props);
        this.registry = SchemaRegistryClients.forConfig(props);
        this.isKey = isKey;
    }

    @Override
    public byte[] serialize(final String topic, final T record) {
        if (record == null) {
            return null;
        }
        if (registry == null) {
            throw new SerializationException("AvroSerializer used before configure()");
        }
        final Schema schema = record.getSchema();
        final int id = schemaId(topic, schema);
        final Buffers b = buffers.get();
        b.out.reset();
        b.out.write(WireFormat.MAGIC);
        b.out.write(id >>> 24);
        b.out.write(id >>> 16);
        b.out.write(id >>> 8);
        b.out.write(id);
        try {
            b.encoder = EncoderFactory.get().binaryEncoder(b.out, b.encoder);
            writer(schema, record).write(record, b.encoder);
            b.encoder.flush();
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("Cannot serialize " + schema.getFullName() + " for topic " + topic
                    + ": " + e.getMessage(), e);
        }
        return b.out.toByteArray();
    }

    private int schemaId(final String topic, final Schema schema) {
        final Cached c = last;
        if (c != null && c.schema == schema && c.topic.equals(topic)) {
            return c.id;
        }
        final String subject = WireFormat.subject(topic, isKey);
        final int id;
        try {
            if (config.useLatestVersion()) {
                id = registry.latest(subject).id();
            } else if (config.autoRegister()) {
                id = registry.register(subject, schema);
            } else {
                id = registry.lookup(subject, schema);
            }
        } catch (final RegistryException e) {
            throw new SerializationException("Cannot get a schema id for " + schema.getFullName() + " under subject '"
                    + subject + "': " + e.getMessage(), e);
        }
        last = new Cached(topic, schema, id);
        return id;
    }

    private DatumWriter<Object> writer(final Schema schema, final T record) {
        return writers.computeIfAbsent(schema, s -> record instanceof SpecificRecord
                ? new SpecificDatumWriter<>(s, SpecificData.getForClass(record.getClass()))
                : new GenericDatumWriter<>(s, GenericData.get()));
    }

    @Override
    public void close() {
        // The registry client is shared between serdes with the same settings; nothing to release here.
    }
}
