package io.replwatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.SampleFixtures;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerializer;
import io.replwatch.serde.SerdeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@code sandbox up}, {@code status}, {@code tail} and {@code down} as a user runs them: up leaves the servers
 * running after the command returns; down removes everything, also when the state file was lost in a crash.
 */
class SandboxCliIT {



    @Test
    void upStatusTailDownEvenAfterTheStateIsLost() throws Exception {
        final Path dir = Files.createTempDirectory(Path.of("target"), "cli-it-").toAbsolutePath();
        final Cli.Run up = Cli.run("sandbox", "up", "--dir", dir.toString(), "--standbys", "1");
        try {
            assertThat(up.exit()).as(up.err()).isZero();
            upStatusTailDown(dir, up);
        } finally {
            // A detached sandbox outlives the test JVM: never leave one behind when an assertion fails.
            if (Files.exists(dir)) {
                Cli.run("sandbox", "down", "--dir", dir.toString());
            }
        }
    }

    private static void upStatusTailDown(final Path dir, final Cli.Run up) throws Exception {
        assertThat(up.out()).contains("Kafka bootstrap servers").contains("jdbc:postgresql://127.0.0.1:");

        final Cli.Run status = Cli.run("sandbox", "status", "--dir", dir.toString());
        assertThat(status.exit()).isZero();
        final JsonNode json = new ObjectMapper().readTree(status.out());
        assertThat(json.at("/kafka/state").asText()).isEqualTo("running");
        assertThat(json.at("/registry/state").asText()).isEqualTo("running");
        assertThat(json.at("/postgres/nodes/1/name").asText()).isEqualTo("standby1");
        assertThat(json.at("/postgres/nodes/1/replication_state").asText()).isEqualTo("streaming");
        assertThat(json.at("/postgres/nodes/1/sync_state").asText()).isEqualTo("sync");

        // env prints what the example configurations expect, and they validate against it.
        final Cli.Run env = Cli.run("sandbox", "env", "--dir", dir.toString());
        assertThat(env.exit()).isZero();
        assertThat(env.out()).contains("export KAFKA_BOOTSTRAP=" + json.at("/kafka/bootstrap_servers").asText())
                .contains("export PG_STANDBY1_PORT=" + json.at("/postgres/nodes/1/jdbc_url").asText().replaceAll(".*:(\\d+)/.*", "$1"));
        final Map<String, String> vars = new java.util.HashMap<>();
        for (final String line : env.out().split("\n")) {
            final String[] kv = line.replace("export ", "").split("=", 2);
            vars.put(kv[0], kv[1]);
        }
        vars.put("PG_STANDBY2_PORT", "5432");
        final Path root = Path.of(System.getProperty("replwatch.root", ".."));
        final var collectorConfig = io.replwatch.collector.config.CollectorConfig.parse(
                Files.readString(root.resolve("examples/collector.yaml")), vars::get);
        assertThat(collectorConfig.nodes()).hasSize(3);
        io.replwatch.processor.config.ProcessorConfig.parse(Files.readString(root.resolve("examples/processor.yaml")), vars::get);

        // tail decodes what is on a topic, LSNs as PostgreSQL writes them.
        final String bootstrap = json.at("/kafka/bootstrap_servers").asText();
        final String registry = json.at("/registry/url").asText();
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, registry), false);
        try (KafkaProducer<String, ReplicationSample> p = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrap), new StringSerializer(), ser)) {
            p.send(new ProducerRecord<>(Topics.SAMPLES, "orders-eu", SampleFixtures.primaryWithTwoStandbys(1_764_000_000_000L)));
            p.send(new ProducerRecord<>(Topics.SAMPLES, "orders-eu", SampleFixtures.standby(1_764_000_000_000L)));
        }
        final Cli.Run tail = Cli.run("tail", Topics.SAMPLES, "--max", "2", "--timeout", "20s", "--sandbox-dir", dir.toString());
        assertThat(tail.exit()).as(tail.err()).isZero();
        final String[] lines = tail.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        final JsonNode first = new ObjectMapper().readTree(lines[0]);
        assertThat(first.get("key").asText()).isEqualTo("orders-eu");
        assertThat(first.at("/value/wal_lsn").asText()).isEqualTo("16/B374D848");
        assertThat(first.at("/value/sampled_at").asText()).isEqualTo("2025-11-24T16:00:00Z");
        assertThat(first.at("/value/replicas/0/sync_state").asText()).isEqualTo("sync");
        // Client properties from a file (how tail reaches a secured cluster; issue 17): applied, never printed.
        final java.nio.file.Path props = java.nio.file.Files.writeString(dir.resolve("client.properties"),
                "security.protocol=PLAINTEXT\nclient.id=tail-it\nbasic.auth.user.info=u:do-not-print\n");
        final Cli.Run secured = Cli.run("tail", Topics.SAMPLES, "--max", "1", "--timeout", "20s", "--client-config",
                props.toString(), "--sandbox-dir", dir.toString());
        assertThat(secured.exit()).as(secured.err()).isZero();
        assertThat(secured.out().strip().split("\n")).hasSize(1);
        assertThat(secured.out() + secured.err()).doesNotContain("do-not-print");
        final Cli.Run wrongProtocol = Cli.run("tail", Topics.SAMPLES, "--max", "1", "--timeout", "5s", "--client-config",
                java.nio.file.Files.writeString(dir.resolve("bad.properties"), "security.protocol=NOPE\n").toString(),
                "--sandbox-dir", dir.toString());
        assertThat(wrongProtocol.exit()).isNotZero();

        // Simulate a crash that lost the state file: down must still find and stop everything.
        final List<Long> pids = new ArrayList<>();
        pids.add(json.at("/kafka/pid").asLong());
        pids.add(json.at("/registry/pid").asLong());
        for (final String node : List.of("primary", "standby1")) {
            pids.add(Long.parseLong(Files.readAllLines(dir.resolve("pg").resolve(node).resolve("postmaster.pid")).get(0)));
        }
        Files.delete(dir.resolve(Sandbox.STATE_FILE));
        final Cli.Run down = Cli.run("sandbox", "down", "--dir", dir.toString());
        assertThat(down.exit()).isZero();
        assertThat(down.out()).contains("stopped PostgreSQL primary").contains("stopped Kafka")
                .contains("stopped schema registry").contains("removed");
        await().atMost(Duration.ofSeconds(15)).until(() -> pids.stream()
                .noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
        assertThat(dir).doesNotExist();
    }
}
