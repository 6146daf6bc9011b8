package io.replwatch.processor.state;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.replwatch.processor.lag.Trend;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The reader of state written by earlier versions, before {@link StateCodec}'s binary layout: Jackson's Smile
 * (binary JSON) and, before that, plain JSON. {@link StateCodec} falls back to it for any record that does not
 * start with its own format byte, so a processor upgraded in place restores from existing changelogs. The
 * serializer is kept so tests can produce such records; nothing writes this format in production.
 */
public final class LegacyStateSerde<T> implements Serde<T> {

    /**
     * Lag and conflict points were number arrays in this format ({time, replay, lag, primary, timeline or -1} and
     * {time, total}); they stay arrays here so that state written so reads back.
     */
    private static final SimpleModule POINTS = new SimpleModule("replwatch-state-points")
        .addSerializer(Trend.Point.class, new StdSerializer<>(Trend.Point.class) {
            @Override
            public void serialize(final Trend.Point p, final JsonGenerator g, final SerializerProvider sp) throws IOException {
                g.writeArray(new long[] {p.time(), p.replayLsn(), p.lagBytes(), p.primaryLsn(),
                    p.timeline() == null ? -1 : p.timeline()}, 0, 5);
            }
        })
        .addDeserializer(Trend.Point.class, new StdDeserializer<>(Trend.Point.class) {
            @Override
            public Trend.Point deserialize(final JsonParser p, final DeserializationContext ctx) throws IOException {
                final long[] a = p.readValueAs(long[].class);
                if (a.length != 5) {
                    throw new IOException("a lag point has 5 numbers, not " + a.length);
                }
                return new Trend.Point(a[0], a[1], a[2], a[3], a[4] < 0 ? null : (int) a[4]);
            }
        })
        .addSerializer(NodeState.ConflictPoint.class, new StdSerializer<>(NodeState.ConflictPoint.class) {
            @Override
            public void serialize(final NodeState.ConflictPoint p, final JsonGenerator g, final SerializerProvider sp)
                    throws IOException {
                g.writeArray(new long[] {p.at(), p.total()}, 0, 2);
            }
        })
        .addDeserializer(NodeState.ConflictPoint.class, new StdDeserializer<>(NodeState.ConflictPoint.class) {
            @Override
            public NodeState.ConflictPoint deserialize(final JsonParser p, final DeserializationContext ctx) throws IOException {
                final long[] a = p.readValueAs(long[].class);
                if (a.length != 2) {
                    throw new IOException("a conflict point has 2 numbers, not " + a.length);
                }
                return new NodeState.ConflictPoint(a[0], a[1]);
            }
        });

    // Public fields of the state classes, and records (their components), nothing else.
    static final ObjectMapper JSON = configure(new ObjectMapper());
    static final ObjectMapper SMILE = configure(new ObjectMapper(new com.fasterxml.jackson.dataformat.smile.SmileFactory()));

    private static ObjectMapper configure(final ObjectMapper m) {
        return m
            .registerModule(POINTS)
            .setVisibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    private final Class<T> type;

    public LegacyStateSerde(final Class<T> type) {
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
