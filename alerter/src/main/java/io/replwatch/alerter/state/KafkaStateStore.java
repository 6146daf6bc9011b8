package io.replwatch.alerter.state;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alerter's state in a compacted topic (one partition, key = "group/..." or "silence/...", value = JSON,
 * null = deleted). Written with acks=all and idempotence; read back whole at start.
 */
public final class KafkaStateStore implements StateStore, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaStateStore.class);

    private final String topic;
    private final Map<String, String> kafka;
    private final KafkaProducer<String, String> producer;
    private volatile boolean closed;

    public KafkaStateStore(final String topic, final Map<String, String> kafka) {
        this.topic = topic;
        this.kafka = kafka;
        final Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    @Override
    public void put(final String key, final String json, final Runnable onDurable) {
        if (closed) {
            return; // stopping: what was not written is redone from uncommitted offsets after the restart
        }
        producer.send(new ProducerRecord<>(topic, 0, key, json), (md, e) -> {
            if (e == null) {
                lastWriteOk = System.currentTimeMillis();
                onDurable.run();
            } else {
                lastWriteFailed = System.currentTimeMillis();
                // The consumed offsets behind this write stay uncommitted: a restart redoes the work.
                LOG.error("Cannot write alerter state {} to {}: {}", key, topic, e.toString());
            }
        });
    }

    private volatile long lastWriteOk;
    private volatile long lastWriteFailed;

    /** Whether the latest state write failed (and none succeeded since): the alerter is not durable then. */
    public boolean failing() {
        return lastWriteFailed > lastWriteOk;
    }

    /** When a state write last failed, epoch ms; 0 when none did. */
    public long lastWriteFailed() {
        return lastWriteFailed;
    }

    /** Reads the topic from the beginning to its current end: the latest value of every live key, in order. */
    public Map<String, String> readAll(final Duration timeout) {
        final Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        final Map<String, String> out = new LinkedHashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new StringDeserializer())) {
            final List<TopicPartition> parts = consumer.partitionsFor(topic, timeout).stream()
                    .map(pi -> new TopicPartition(topic, pi.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            final Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
            final long deadline = System.nanoTime() + timeout.toNanos();
            final BiConsumer<String, String> apply = (k, v) -> {
                if (v == null) {
                    out.remove(k);
                } else {
                    out.remove(k);
                    out.put(k, v);
                }
            };
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Could not read alerter state from " + topic + " within " + timeout);
                }
                for (final ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    apply.accept(r.key(), r.value());
                }
            }
        }
        return out;
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        closed = true;
        producer.close(Duration.ofSeconds(10));
    }
}
