package io.replwatch.alerter;

import io.replwatch.avro.DeadLetter;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads replwatch.dead-letter from the beginning, for the ITs. */
final class DeadLetters {

    private DeadLetters() {
    }

    /** Up to {@code n} dead letters that match, waiting at most {@code timeout}. */
    static List<DeadLetter> read(final String bootstrap, final String registry, final int n,
                                 final Predicate<DeadLetter> which, final Duration timeout) {
        final Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("auto.offset.reset", "earliest");
        p.put("group.id", "it-dead-letters-" + System.nanoTime());
        final AvroDeserializer<DeadLetter> de = new AvroDeserializer<>(DeadLetter.class);
        de.configure(Map.of("schema.registry.url", registry), false);
        final List<DeadLetter> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(Topics.DEAD_LETTER));
            final long deadline = System.currentTimeMillis() + timeout.toMillis();
            while (out.size() < n && System.currentTimeMillis() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    final DeadLetter d = de.deserialize(Topics.DEAD_LETTER, r.value());
                    if (which.test(d)) {
                        out.add(d);
                    }
                }
            }
        }
        return out;
    }
}
