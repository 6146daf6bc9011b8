package io.replwatch.processor.state;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde for the processor's internal state (stores and their changelogs): Jackson's Smile, the binary form of
 * JSON (same data model, field names sent once per record, about half the bytes and faster to write, which
 * matters since a node's state is written on every sample under exactly-once), tolerant of fields added later.
 * State written as plain JSON by earlier versions is still read. Not used on replwatch's public topics (Avro).
 */
public final class JsonSerde<T> implements Serde<T> {

    // Public fields of the state classes, and records (their components), nothing else.
    static final ObjectMapper JSON = configure(new ObjectMapper());
    static final ObjectMapper SMILE = configure(new ObjectMapper(new com.fasterxml.jackson.dataformat.smile.SmileFactory()));

    private static ObjectMapper configure(final ObjectMapper m) {
        return m
            .setVisibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    private final Class<T> type;

    public JsonSerde(final Class<T> type) {
        this.type = type;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> {
            try {
                return value == null ? null : SMILE.writeValueAsBytes(value);
            } catch (final IOException e) {
                throw new SerializationException("Cannot write " + type.getSimpleName() + " as Smile", e);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, data) -> {
            try {
                if (data == null) {
                    return null;
                }
                // Smile starts with ":)\n"; older state is plain JSON, an object.
                return (data.length > 0 && data[0] == '{' ? JSON : SMILE).readValue(data, type);
            } catch (final IOException e) {
                throw new SerializationException("Cannot read " + type.getSimpleName() + " state", e);
            }
        };
    }
}
