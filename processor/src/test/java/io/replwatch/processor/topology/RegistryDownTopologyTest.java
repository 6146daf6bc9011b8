package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.replwatch.processor.config.TopologySettings;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.SerdeConfig;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: a registry that cannot be reached is not a bad record. A sample in the wire format whose schema the
 * processor has not fetched yet, with the registry refusing connections: the task fails (Kafka Streams then replaces
 * the thread and reads the record again from the last commit) and nothing goes to the dead-letter topic. Bytes that
 * are not the wire format at all still are dead letters (ProcessorTopologyTest).
 */
class RegistryDownTopologyTest {

    @Test
    void aSampleWhoseSchemaCannotBeFetchedFailsTheTaskInsteadOfBeingDeadLettered() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: connections are refused
        }
        final Map<String, Object> serde = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, "http://127.0.0.1:" + port,
                "schema.registry.request.timeout.ms", "500", "schema.registry.max.retries", "0");
        final Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "registry-down-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver driver = new TopologyTestDriver(ProcessorTopology.build(TopologySettings.defaults(),
                serde), p, Instant.ofEpochMilli(1_764_000_000_000L))) {
            final TestOutputTopic<String, byte[]> deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER,
                    Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
            // Magic byte 0, schema id 7, then Avro bytes the processor never gets to read.
            final byte[] wire = {0, 0, 0, 0, 7, 2, 'c', 2, 'n'};
            final org.apache.kafka.streams.TestInputTopic<String, byte[]> samples = driver.createInputTopic(
                    Topics.SAMPLES, Serdes.String().serializer(), Serdes.ByteArray().serializer());
            assertThatThrownBy(() -> samples.pipeInput("c", wire))
                    .hasRootCauseInstanceOf(io.replwatch.serde.RegistryException.class)
                    .satisfies(e -> assertThat(chain(e)).anyMatch(c -> c instanceof
                            ReplicationProcessor.RegistryUnavailableException));
            assertThat(deadLetters.isEmpty()).as("no dead letter for a registry outage").isTrue();
        }
    }

    private static java.util.List<Throwable> chain(final Throwable t) {
        final java.util.List<Throwable> out = new java.util.ArrayList<>();
        for (Throwable c = t; c != null && !out.contains(c); c = c.getCause()) {
            out.add(c);
        }
        return out;
    }
}
