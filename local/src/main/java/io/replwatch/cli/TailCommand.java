package io.replwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.AvroJson;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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

    @CommandLine.Mixin
    KafkaOptions kafka;

    @Option(names = "--from", defaultValue = "beginning", description = "beginning or end (default: ${DEFAULT-VALUE}).")
    String from;

    @Option(names = "--format", defaultValue = "human", description = "human (ISO times, X/Y LSNs), plain (numbers)"
            + " or exact (longs as strings) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--timeout", description = "Stop after this long without a new record, e.g. 10s.")
    Duration timeout;

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
        final KafkaOptions.Resolved endpoint = kafka.resolve(err);
        if (endpoint == null) {
            return 2;
        }
        final Map<String, Object> serde = new java.util.HashMap<>(endpoint.serde());
        final AvroDeserializer<GenericContainer> de = new AvroDeserializer<>();
        de.configure(serde, false);
        final Properties p = new Properties();
        p.putAll(endpoint.kafka());
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
}
