package io.replwatch.alerter.delivery;

import io.replwatch.avro.DeadLetter;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerializer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Dead letters to replwatch.dead-letter (Avro, Confluent wire format), acks=all. */
public final class KafkaDeadLetters implements DeadLetterSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaDeadLetters.class);

    private final KafkaProducer<String, DeadLetter> producer;

    public KafkaDeadLetters(final Map<String, String> kafka, final Map<String, String> registry) {
        final Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        final AvroSerializer<DeadLetter> value = new AvroSerializer<>();
        value.configure(registry, false);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), value);
    }

    @Override
    public void send(final String key, final DeadLetter letter, final Runnable onDurable) {
        try {
            // The dead letter's schema cannot be registered while the registry is down: wait for it rather than stop
            // the consumer; anything else leaves the record's offset uncommitted (read again after a restart).
            io.replwatch.serde.RegistryRetry.whileUnavailable(() -> producer.send(
                    new ProducerRecord<>(Topics.DEAD_LETTER, key, letter), (md, e) -> {
                        if (e == null) {
                            onDurable.run();
                        } else {
                            LOG.error("Cannot write a dead letter ({}): {}; its offsets stay uncommitted",
                                    letter.getReason(), e.toString());
                        }
                    }), () -> !closed, e -> LOG.warn("Schema registry unavailable for a dead letter; retrying"));
        } catch (final org.apache.kafka.common.KafkaException e) {
            LOG.error("Cannot write a dead letter ({}): {}; its offsets stay uncommitted", letter.getReason(), e.toString());
        }
    }

    private volatile boolean closed;

    @Override
    public void close() {
        closed = true;
        producer.close(Duration.ofSeconds(10));
    }
}
