package io.replwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.sandbox.SandboxState;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.AvroJson;
import io.replwatch.serde.SerdeConfig;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code replwatch tail TOPIC}: decodes the Avro records of any replwatch topic to JSON lines on stdout, one per
 * record, with topic, partition, offset, timestamp and key. Records that do not decode are reported on stderr
 * and skipped. Reads without joining a consumer group, so it never moves anybody's offsets.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Decode the records of a replwatch topic to JSON lines.")
public final class TailCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "Topic, for example replwatch.samples or replwatch.health-transitions.")
    String topic;

    @Option(names = "--max", description = "Stop after N records (default: follow until interrupted).")
    Long max;

    @Option(names = "--bootstrap", description = "Kafka bootstrap servers (default: $REPLWATCH_BOOTSTRAP, else the"
            + " running sandbox's, else localhost:9092).")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry URL (default: $REPLWATCH_REGISTRY, else the running"
            + " sandbox's, else http://localhost:8081).")
    String registry;

    @Option(names = "--from", defaultValue = "beginning", description = "beginning or end (default: ${DEFAULT-VALUE}).")
    String from;

    @Option(names = "--format", defaultValue = "human", description = "human (ISO times, X/Y LSNs), plain (numbers)"
            + " or exact (longs as strings) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--timeout", description = "Stop after this long without a new record, e.g. 10s.")
    Duration timeout;

    @Option(names = "--client-config", paramLabel = "FILE", description = "Kafka client properties (security.protocol, "
            + "sasl.*, ssl.*) and serde properties (basic.auth.user.info, schema.registry.ssl.*), as for Kafka's own "
            + "--command-config: to reach a secured cluster. Its values are never printed.")
    Path clientConfig;

    @Option(names = "--sandbox-dir", defaultValue = ".replwatch/sandbox", hidden = true)
    Path sandboxDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final AvroJson.Style style;
        try {
            style = AvroJson.Style.valueOf(format.toUpperCase());
        } catch (final IllegalArgumentException e) {
            err.println("error: --format must be human, plain or exact (got '" + format + "')");
            return 2;
        }
        if (!from.equals("beginning") && !from.equals("end")) {
            err.println("error: --from must be beginning or end (got '" + from + "')");
            return 2;
        }
        final SandboxState sandbox = SandboxState.read(sandboxDir);
        final String servers = firstOf(bootstrap, System.getenv("REPLWATCH_BOOTSTRAP"),
                sandbox.raw().path("kafka").path("bootstrap_servers").asText(null), "localhost:9092");
        final String url = firstOf(registry, System.getenv("REPLWATCH_REGISTRY"),
                sandbox.raw().path("registry").path("url").asText(null), "http://localhost:8081");

        final Properties client = new Properties();
        if (clientConfig != null) {
            try (java.io.Reader in = java.nio.file.Files.newBufferedReader(clientConfig, StandardCharsets.UTF_8)) {
                client.load(in);
            } catch (final java.io.IOException | IllegalArgumentException e) {
                err.println("error: cannot read --client-config " + clientConfig + ": " + e.getClass().getSimpleName());
                return 2;
            }
        }
        final Map<String, Object> serde = new java.util.HashMap<>();
        client.stringPropertyNames().forEach(k -> serde.put(k, client.getProperty(k)));
        serde.put(SerdeConfig.SCHEMA_REGISTRY_URL, url);
        final AvroDeserializer<GenericContainer> de = new AvroDeserializer<>();
        de.configure(serde, false);
        final Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "replwatch-tail-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, from.equals("beginning") ? "earliest" : "latest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final ObjectMapper json = new ObjectMapper();
        long seen = 0;
        long lastRecord = System.nanoTime();
        final KafkaConsumer<byte[], byte[]> opened;
        try {
            opened = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (final org.apache.kafka.common.KafkaException e) {
            // Kafka's messages name a bad setting's key and hide password-type values.
            err.println("error: cannot create a Kafka consumer: " + (e.getCause() != null ? e.getCause().getMessage()
                    : e.getMessage()));
            return 2;
        }
        try (KafkaConsumer<byte[], byte[]> consumer = opened) {
            consumer.subscribe(List.of(topic));
            while (max == null || seen < max) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    lastRecord = System.nanoTime();
                    final ObjectNode line = json.createObjectNode();
                    line.put("topic", r.topic()).put("partition", r.partition()).put("offset", r.offset())
                            .put("timestamp", r.timestamp());
                    line.put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
                    try {
                        final GenericContainer value = de.deserialize(r.topic(), r.value());
                        line.set("value", value == null ? null : AvroJson.toJson(value, style));
                        out.println(line);
                    } catch (final RuntimeException e) {
                        err.println("skipped " + r.topic() + "/" + r.partition() + "@" + r.offset() + ": " + e.getMessage());
                    }
                    out.flush();
                    if (max != null && ++seen >= max) {
                        break;
                    }
                }
                if (timeout != null && System.nanoTime() - lastRecord > timeout.toNanos()) {
                    break;
                }
            }
        }
        return 0;
    }

    private static String firstOf(final String... values) {
        for (final String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
