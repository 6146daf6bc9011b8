package io.replwatch.serde;

import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Confluent wire-format Avro serde. {@link #specific(Class)} for generated classes, {@link #generic()} for
 * GenericRecord. Configure with the keys of {@link SerdeConfig}.
 */
public final class AvroSerde<T extends org.apache.avro.generic.GenericContainer> implements Serde<T> {

    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    private AvroSerde(final Class<T> type) {
        this.serializer = new AvroSerializer<>();
        this.deserializer = type == null ? new AvroDeserializer<>() : new AvroDeserializer<>(type);
    }

    public static <T extends SpecificRecord> AvroSerde<T> specific(final Class<T> type) {
        return new AvroSerde<>(type);
    }

    public static AvroSerde<GenericRecord> generic() {
        return new AvroSerde<>(null);
    }

    /** A specific serde already configured for values with {@code props}. */
    public static <T extends SpecificRecord> AvroSerde<T> forValues(final Class<T> type, final Map<String, ?> props) {
        final AvroSerde<T> serde = specific(type);
        serde.configure(props, false);
        return serde;
    }

    @Override
    public void configure(final Map<String, ?> props, final boolean isKey) {
        serializer.configure(props, isKey);
        deserializer.configure(props, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
