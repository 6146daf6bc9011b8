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
 * <p>Idempotent producer, acks=all, zstd, batching. Polling threads only put samples into a bounded queue
 * ({@value #QUEUE_CAPACITY} samples) and never block; one sender thread hands them to the producer in order.
 * While Kafka is unreachable the producer may refuse new records once its metadata has expired (after
 * max.block.ms): the sender then keeps the sample and tries again, so an outage is bridged by the queue plus the
 * producer's own buffer (delivery.timeout.ms, 10 minutes here), and {@link #backlog()} says how many wait. Only a
 * sample that finds the queue full, or that Kafka finally refuses, is dropped, counted in
 * {@code replwatch_collector_samples_dropped_total} and logged: never silently lost.
 */
public final class SamplePublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SamplePublisher.class);

    private final KafkaProducer<String, ReplicationSample> producer;
    private final String topic;
    private final AtomicLong backlog = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    private volatile long lastAckMillis = System.currentTimeMillis();
    /** When a sample was last dropped (0: never). */
    private volatile long lastDropMillis;
    private final Counter published;
    private final Counter failed;
    private final Counter dropped;
    static final int QUEUE_CAPACITY = 200_000;
    private final java.util.concurrent.BlockingQueue<ReplicationSample> queue =
            new java.util.concurrent.LinkedBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread sender;
    private volatile boolean closing;

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
        sender = new Thread(this::sendLoop, "replwatch-collector-sender");
        sender.setDaemon(true);
        sender.start();
    }

    /** Queues the sample for sending; returns false (and counts a drop) only when the queue is full. */
    public boolean publish(final ReplicationSample sample) {
        backlog.incrementAndGet();
        if (!queue.offer(sample)) {
            backlog.decrementAndGet();
            dropped.increment();
            noteError(sample, new IllegalStateException("send queue full (" + QUEUE_CAPACITY + " samples waiting)"));
            return false;
        }
        return true;
    }

    /** One thread, in order: hand each sample to the producer, retrying while Kafka cannot take it. */
    private void sendLoop() {
        while (!closing || !queue.isEmpty()) {
            final ReplicationSample sample;
            try {
                sample = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                return;
            }
            if (sample == null) {
                continue;
            }
            while (true) {
                final Exception[] rejected = {null};
                try {
                    producer.send(new ProducerRecord<>(topic, sample.getCluster(), sample), (meta, error) -> {
                        if (error != null && Thread.currentThread() == sender) {
                            // Refused inside send() (no metadata, buffer full): the record never entered the
                            // producer's buffer. Keep the sample; the loop tries again.
                            rejected[0] = error;
                            return;
                        }
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
                } catch (final org.apache.kafka.common.errors.TimeoutException e) {
                    rejected[0] = e;
                } catch (final KafkaException e) {
                    if (io.replwatch.serde.RegistryException.isRetriable(e)) {
                        // The registry is down (the schema is not registered yet): keep the sample, try again.
                        rejected[0] = new org.apache.kafka.common.errors.RetriableException(e.getMessage(), e) { };
                    } else {
                        backlog.decrementAndGet();
                        dropped.increment();
                        noteError(sample, e);
                        break;
                    }
                } catch (final IllegalStateException e) {
                    backlog.decrementAndGet();
                    dropped.increment();
                    noteError(sample, e);
                    break;
                }
                if (rejected[0] == null) {
                    break;
                }
                if (!(rejected[0] instanceof org.apache.kafka.common.errors.RetriableException)
                        || (closing && System.nanoTime() > closeDeadline)) {
                    backlog.decrementAndGet();
                    dropped.increment();
                    noteError(sample, rejected[0]);
                    break;
                }
                noteWaiting(rejected[0]);
                if (io.replwatch.serde.RegistryException.isRetriable(rejected[0])) {
                    try {
                        Thread.sleep(500); // the registry client has backed off already; do not spin
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private volatile long closeDeadline = Long.MAX_VALUE;

    private void noteWaiting(final Exception e) {
        final String msg = "Kafka unavailable, samples wait in the queue: " + e.getMessage();
        if (!msg.equals(lastError.getAndSet(msg))) {
            LOG.warn("{} ({} waiting)", msg, backlog.get());
        }
    }

    private void noteError(final ReplicationSample sample, final Exception error) {
        lastDropMillis = System.currentTimeMillis();
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

    /** When a sample was last dropped, epoch ms; 0 when none was. */
    public long lastDropMillis() {
        return lastDropMillis;
    }

    public String lastError() {
        return lastError.get();
    }

    /** Waits until every queued sample was handed to the producer, then for the producer's acknowledgements. */
    public void flush() {
        while (!queue.isEmpty() && sender.isAlive()) {
            try {
                Thread.sleep(10);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        producer.flush();
    }

    @Override
    public void close() {
        closeDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        closing = true;
        try {
            sender.join(15_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
    }
}
