package io.replwatch.collector.targets;

import io.replwatch.avro.CollectorHeartbeat;
import io.replwatch.avro.CollectorState;
import io.replwatch.serde.AvroSerializer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the processor this collector is alive and which clusters it polls: a {@link CollectorHeartbeat} every
 * interval, and one saying LEFT when it stops cleanly. All heartbeats go to partition 0 of the collectors topic, so
 * that one task sees every collector and can tell a cluster taken over from one nobody polls.
 */
public final class Heartbeats implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Heartbeats.class);

    private final String topic;
    private final String collectorId;
    private final String group;
    private final Duration interval;
    private final Supplier<List<String>> clusters;
    private final Supplier<Integer> nodes;
    private final KafkaProducer<String, CollectorHeartbeat> producer;
    private final ScheduledExecutorService timer;
    private final Instant startedAt = Instant.now();

    public Heartbeats(final String topic, final String collectorId, final String group, final Duration interval,
                      final Map<String, String> kafka, final Map<String, String> registry,
                      final Supplier<List<String>> clusters, final Supplier<Integer> nodes) {
        this.topic = topic;
        this.collectorId = collectorId;
        this.group = group;
        this.interval = interval;
        this.clusters = clusters;
        this.nodes = nodes;
        final Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "replwatch-collector-heartbeat");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        // A heartbeat that cannot go out within its interval is replaced by the next one.
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(interval.toMillis(), 2_000) + 1_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(interval.toMillis(), 2_000));
        p.remove("transactional.id");
        final AvroSerializer<CollectorHeartbeat> values = new AvroSerializer<>();
        values.configure(registry, false);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), values);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "replwatch-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    public Heartbeats start() {
        timer.scheduleAtFixedRate(() -> send(CollectorState.RUNNING), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** A heartbeat now, besides the regular ones: the clusters polled changed. */
    public void nudge() {
        try {
            timer.execute(() -> send(CollectorState.RUNNING));
        } catch (final java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void send(final CollectorState state) {
        send(state, clusters.get());
    }

    private void send(final CollectorState state, final List<String> now) {
        try {
            producer.send(new ProducerRecord<>(topic, 0, collectorId, CollectorHeartbeat.newBuilder()
                    .setCollectorId(collectorId).setGroup(group).setSentAt(Instant.now())
                    .setIntervalMs(interval.toMillis()).setState(state).setClusters(now).setNodes(nodes.get())
                    .setStartedAt(startedAt).build()), (m, e) -> {
                        if (e != null) {
                            LOG.debug("Heartbeat not delivered: {}", e.toString());
                        }
                    });
        } catch (final RuntimeException e) {
            LOG.warn("Heartbeat not sent: {}", e.toString());
        }
    }

    /** A last heartbeat saying LEFT: the processor need not wait for this collector's clusters to be taken over. */
    public void close(final List<String> polled) {
        timer.shutdownNow();
        send(CollectorState.LEFT, polled);
        producer.close(Duration.ofSeconds(5));
    }

    @Override
    public void close() {
        close(clusters.get());
    }
}
