package io.replwatch.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.schemas.SampleFixtures;
import io.replwatch.schemas.Topics;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static final String SCOPE = "avro-serde-test";
    private static final Map<String, Object> PROPS = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE);

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.drop(SCOPE);
    }

    private static AvroSerde<ReplicationSample> serde() {
        return AvroSerde.forValues(ReplicationSample.class, PROPS);
    }

    @Test
    void roundTripsASpecificRecordInConfluentWireFormat() {
        final ReplicationSample sample = SampleFixtures.primaryWithTwoStandbys(1_700_000_000_000L);
        final AvroSerde<ReplicationSample> serde = serde();

        final byte[] bytes = serde.serializer().serialize(Topics.SAMPLES, sample);

        assertThat(bytes[0]).isEqualTo((byte) 0);
        final int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(id).isEqualTo(MockSchemaRegistry.scope(SCOPE).latest("replwatch.samples-value").id());
        assertThat(SampleFixtures.content(serde.deserializer().deserialize(Topics.SAMPLES, bytes)))
                .isEqualTo(SampleFixtures.content(sample))
                .contains("\"application_name\": \"orders-eu-3\"");
    }

    @Test
    void registersUnderTopicNameStrategySubjects() {
        final AvroSerializer<ReplicationSample> keySer = new AvroSerializer<>();
        keySer.configure(PROPS, true);
        keySer.serialize("t", SampleFixtures.primaryWithTwoStandbys(1L));
        assertThat(MockSchemaRegistry.scope(SCOPE).latest("t-key").schema()).isEqualTo(ReplicationSample.SCHEMA$);
        assertThatThrownBy(() -> MockSchemaRegistry.scope(SCOPE).latest("t-value"))
                .isInstanceOf(RegistryException.class).hasMessageContaining("40401");
    }

    @Test
    void genericRecordsRoundTripAndReadAsGeneric() {
        final Schema schema = SchemaBuilder.record("Thing").namespace("x").fields()
                .requiredString("name").optionalLong("size").endRecord();
        final GenericRecord rec = new GenericData.Record(schema);
        rec.put("name", "a");
        rec.put("size", 3L);
        final AvroSerde<GenericRecord> serde = AvroSerde.generic();
        serde.configure(PROPS, false);
        final GenericRecord back = serde.deserializer().deserialize("things", serde.serializer().serialize("things", rec));
        assertThat(back.get("name").toString()).isEqualTo("a");
        assertThat(back.get("size")).isEqualTo(3L);
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertThat(serde().serializer().serialize(Topics.SAMPLES, null)).isNull();
        assertThat(serde().deserializer().deserialize(Topics.SAMPLES, null)).isNull();
    }

    @Test
    void wrongMagicByteIsNamed() {
        final byte[] bytes = serde().serializer().serialize(Topics.SAMPLES, SampleFixtures.primaryWithTwoStandbys(1L));
        bytes[0] = 0x7B; // '{': somebody produced JSON
        assertThatThrownBy(() -> serde().deserializer().deserialize(Topics.SAMPLES, bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("magic byte 0x7B");
    }

    @Test
    void unknownSchemaIdIsNamed() {
        final byte[] bytes = serde().serializer().serialize(Topics.SAMPLES, SampleFixtures.primaryWithTwoStandbys(1L));
        bytes[4] = 99;
        assertThatThrownBy(() -> serde().deserializer().deserialize(Topics.SAMPLES, bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Unknown schema id 99");
    }

    @Test
    void truncatedPayloadsAreNamedAtEveryLength() {
        final byte[] bytes = serde().serializer().serialize(Topics.SAMPLES, SampleFixtures.primaryWithTwoStandbys(1L));
        final var de = serde().deserializer();
        // Every strict prefix must fail with a SerializationException, never a partial record or an NPE.
        for (int len = 0; len < bytes.length; len++) {
            final byte[] cut = Arrays.copyOf(bytes, len);
            assertThatThrownBy(() -> de.deserialize(Topics.SAMPLES, cut))
                    .as("prefix of %d bytes", len)
                    .isInstanceOf(SerializationException.class)
                    .hasMessageFindingMatch("Empty payload|shorter than the 5-byte|Truncated or corrupt|trailing bytes");
        }
    }

    @Test
    void trailingBytesAreRejected() {
        final byte[] bytes = serde().serializer().serialize(Topics.SAMPLES, SampleFixtures.primaryWithTwoStandbys(1L));
        final byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
        assertThatThrownBy(() -> serde().deserializer().deserialize(Topics.SAMPLES, longer))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("trailing bytes");
    }

    @Test
    void withoutAutoRegisterAnUnregisteredSchemaFailsClearly() {
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + SCOPE,
                SerdeConfig.AUTO_REGISTER_SCHEMAS, "false"), false);
        assertThatThrownBy(() -> ser.serialize(Topics.SAMPLES, SampleFixtures.primaryWithTwoStandbys(1L)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("replwatch.samples-value")
                .hasMessageContaining("40401");
        // Once registered, lookup finds the same id auto-registration gave.
        final byte[] viaAuto = serde().serializer().serialize(Topics.SAMPLES, SampleFixtures.primaryWithTwoStandbys(1L));
        final byte[] viaLookup = ser.serialize(Topics.SAMPLES, SampleFixtures.primaryWithTwoStandbys(1L));
        assertThat(viaLookup).isEqualTo(viaAuto);
    }

    @Test
    void incompatibleSchemaIsRefusedWithTheRegistrysReason() {
        final Schema v1 = SchemaBuilder.record("Thing").namespace("x").fields().requiredString("name").endRecord();
        final Schema v2 = SchemaBuilder.record("Thing").namespace("x").fields().requiredString("name")
                .requiredLong("size").endRecord(); // new field without default: not BACKWARD
        final AvroSerde<GenericRecord> serde = AvroSerde.generic();
        serde.configure(PROPS, false);
        final GenericRecord r1 = new GenericData.Record(v1);
        r1.put("name", "a");
        serde.serializer().serialize("things", r1);
        final GenericRecord r2 = new GenericData.Record(v2);
        r2.put("name", "a");
        r2.put("size", 1L);
        assertThatThrownBy(() -> serde.serializer().serialize("things", r2))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("409")
                .hasMessageContaining("incompatible");
    }

    @Test
    void configurationProblemsAreAllListed() {
        assertThatThrownBy(() -> new SerdeConfig(Map.of(
                SerdeConfig.AUTO_REGISTER_SCHEMAS, "maybe",
                SerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO",
                SerdeConfig.MAX_RETRIES, "-1")))
                .hasMessageContaining(SerdeConfig.SCHEMA_REGISTRY_URL + " is required")
                .hasMessageContaining(SerdeConfig.AUTO_REGISTER_SCHEMAS)
                .hasMessageContaining(SerdeConfig.BASIC_AUTH_USER_INFO)
                .hasMessageContaining(SerdeConfig.MAX_RETRIES);
    }
}
