package io.replwatch.collector.publish;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.serde.AvroSerializer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes samples to Kafka, keyed by cluster so that a primary and its standbys share a partition.
 *
 * <p>Idempotent producer, acks=all, zstd, batching. While Kafka is unreachable the producer's bounded buffer
 * holds samples (up to {@code delivery.timeout.ms}, 10 minutes by default here) and {@link #backlog()} says how
 * many are waiting. A sample that cannot be buffered (buffer full) or that Kafka finally refuses is dropped,
 * counted in {@code replwatch_collector_samples_dropped_total} and logged: never silently lost.
 */
public final class SamplePublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SamplePublisher.class);

    private final KafkaProducer<String, ReplicationSample> producer;
    private final String topic;
    private final AtomicLong backlog = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    private volatile long lastAckMillis = System.currentTimeMillis();
    private final Counter published;
    private final Counter failed;
    private final Counter dropped;

    public SamplePublisher(final Map<String, String> kafka, final Map<String, String> registry, final String topic,
                           final MeterRegistry metrics) {
        this.topic = topic;
        final Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 32L * 1024 * 1024);
        // Polling threads must never block on a full buffer: fail fast and count the drop instead.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Duration.ofMinutes(10).toMillis());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "replwatch-collector");
        p.putAll(kafka);
        final AvroSerializer<ReplicationSample> valueSerializer = new AvroSerializer<>();
        valueSerializer.configure(registry, false);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), valueSerializer);
        this.published = Counter.builder("replwatch_collector_samples_published").description(
                "Samples acknowledged by Kafka").register(metrics);
        this.failed = Counter.builder("replwatch_collector_publish_failures").description(
                "Samples Kafka refused after retries").register(metrics);
        this.dropped = Counter.builder("replwatch_collector_samples_dropped").description(
                "Samples lost: not buffered or refused").register(metrics);
        metrics.gauge("replwatch_collector_publish_backlog", backlog);
    }

    /** Hands the sample to the producer; returns false (and counts a drop) when it could not be buffered. */
    public boolean publish(final ReplicationSample sample) {
        backlog.incrementAndGet();
        try {
            producer.send(new ProducerRecord<>(topic, sample.getCluster(), sample), (meta, error) -> {
                backlog.decrementAndGet();
                if (error == null) {
                    acked.incrementAndGet();
                    lastAckMillis = System.currentTimeMillis();
                    published.increment();
                } else {
                    failed.increment();
                    dropped.increment();
                    noteError(sample, error);
                }
            });
            return true;
        } catch (final KafkaException | IllegalStateException e) {
            backlog.decrementAndGet();
            dropped.increment();
            noteError(sample, e);
            return false;
        }
    }

    private void noteError(final ReplicationSample sample, final Exception error) {
        final String msg = error.getClass().getSimpleName() + ": " + error.getMessage();
        if (!msg.equals(lastError.getAndSet(msg))) {
            LOG.error("{}/{}: sample {} dropped: {}", sample.getCluster(), sample.getNode(), sample.getSequence(), msg);
        }
    }

    /** Samples handed to the producer and not yet acknowledged or refused. */
    public long backlog() {
        return backlog.get();
    }

    public long acknowledged() {
        return acked.get();
    }

    public long lastAckMillis() {
        return lastAckMillis;
    }

    public String lastError() {
        return lastError.get();
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
