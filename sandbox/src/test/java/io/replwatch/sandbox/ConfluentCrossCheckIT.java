package io.replwatch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.schemas.SampleFixtures;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.AvroJson;
import io.replwatch.serde.AvroSerializer;
import io.replwatch.serde.SerdeConfig;
import io.replwatch.serde.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves wire compatibility with Confluent's own client code (the official Node package
 * {@code @confluentinc/schemaregistry}, pinned in src/test/node/package-lock.json) through a real registry
 * (Apicurio's Confluent-compatible API): (a) Confluent decodes what Java wrote to the same field values, (b) Java
 * decodes what Confluent wrote, (c) both write identical bytes for the same record and schema id.
 *
 * <p>Requires {@code npm ci} in sandbox/src/test/node, which .ci/run does; without node_modules the test fails
 * and says so rather than skipping.
 */
class ConfluentCrossCheckIT {

    private static final Path NODE_DIR = Path.of("src/test/node");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Sandbox sandbox;

    @BeforeAll
    static void up() throws Exception {
        sandbox = Sandbox.builder().tempDir("crosscheck-it-").kafka(false).postgres(false).start();
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void javaAndConfluentAgreeInBothDirectionsByteForByte() throws Exception {
        assertThat(NODE_DIR.resolve("node_modules/@confluentinc/schemaregistry"))
                .as("Confluent's Node client is installed (run `npm ci` in %s)", NODE_DIR.toAbsolutePath())
                .isDirectory();
        final String topic = "replwatch.samples";
        final Map<String, Object> props = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, sandbox.registry().url());
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(props, false);
        final AvroDeserializer<ReplicationSample> de = new AvroDeserializer<>(ReplicationSample.class);
        de.configure(props, false);

        final ReplicationSample a = SampleFixtures.primaryWithTwoStandbys(1_764_000_000_123L);
        final ReplicationSample b = SampleFixtures.standby(1_764_000_000_456L);
        final byte[] javaBytesA = ser.serialize(topic, a);
        final int schemaId = WireFormat.schemaId(javaBytesA);

        final Path input = Files.createTempFile(Path.of("target"), "crosscheck-", ".json");
        JSON.writeValue(input.toFile(), Map.of(
                "url", sandbox.registry().url(),
                "topic", topic,
                "schemaId", schemaId,
                "javaBytesA", HexFormat.of().formatHex(javaBytesA),
                "recordA", AvroJson.toJson(a, AvroJson.Style.EXACT),
                "recordB", AvroJson.toJson(b, AvroJson.Style.EXACT)));
        final JsonNode out = runNode(input);

        // (a) Confluent's deserializer reads Java's bytes to the same field values.
        assertThat(out.get("latestId").asInt()).isEqualTo(schemaId);
        assertThat(out.get("decodedA")).isEqualTo(AvroJson.toJson(a, AvroJson.Style.EXACT));

        // (b) Java's deserializer reads Confluent's bytes to the same field values.
        final byte[] confluentB = HexFormat.of().parseHex(out.get("confluentBytesB").asText());
        assertThat(WireFormat.schemaId(confluentB)).isEqualTo(schemaId);
        final ReplicationSample decodedB = de.deserialize(topic, confluentB);
        assertThat(AvroJson.toJson(decodedB, AvroJson.Style.EXACT)).isEqualTo(AvroJson.toJson(b, AvroJson.Style.EXACT));
        assertThat(decodedB.getStandby().getReceiveLsn()).isEqualTo(b.getStandby().getReceiveLsn()).isNegative();

        // (c) Identical bytes for the same record and schema id.
        assertThat(HexFormat.of().parseHex(out.get("confluentBytesA").asText())).isEqualTo(javaBytesA);
        assertThat(ser.serialize(topic, b)).isEqualTo(confluentB);
    }

    private static JsonNode runNode(final Path input) throws Exception {
        final Process p = new ProcessBuilder("node", "crosscheck.mjs", input.toAbsolutePath().toString())
                .directory(NODE_DIR.toFile())
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
        final byte[] stdout = p.getInputStream().readAllBytes();
        final byte[] stderr = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("node finished").isTrue();
        assertThat(p.exitValue()).as("node exit; stderr: %s", new String(stderr, StandardCharsets.UTF_8)).isZero();
        return JSON.readTree(stdout);
    }
}
