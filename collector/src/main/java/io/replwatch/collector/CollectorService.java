package io.replwatch.collector;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.publish.SamplePublisher;
import io.replwatch.runtime.ops.OpsServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The running collector: publisher, pollers and the /metrics and /health endpoints, wired from a config. */
public final class CollectorService implements AutoCloseable {

    private final CollectorConfig config;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final SamplePublisher publisher;
    private final Collector collector;
    private final OpsServer ops;
    private final io.replwatch.collector.targets.TargetsFollower targets;
    private final io.replwatch.collector.targets.Heartbeats heartbeats;

    public CollectorService(final CollectorConfig config) {
        this.config = config;
        this.publisher = new SamplePublisher(config.kafka(), config.registry(), config.topic(), metrics);
        this.collector = new Collector(config, publisher::publish, metrics);
        ensureTopics(config);
        this.targets = config.targets() == null ? null : new io.replwatch.collector.targets.TargetsFollower(
                config.targets(), config.collectorId(), config.kafka(), config.registry(), collector, metrics);
        this.heartbeats = config.heartbeatInterval().isZero() ? null : new io.replwatch.collector.targets.Heartbeats(
                io.replwatch.schemas.Topics.COLLECTORS, config.collectorId(),
                config.targets() == null ? null : config.targets().group(), config.heartbeatInterval(), config.kafka(),
                config.registry(), collector::clusters, () -> collector.pollers().size());
        if (heartbeats != null) {
            collector.onClustersChanged(heartbeats::nudge);
        }
        this.ops = config.httpPort() < 0 ? null
                : OpsServer.start(config.httpBind(), config.httpPort(), metrics::scrape, this::health);
    }

    public CollectorService start() {
        collector.start();
        if (targets != null) {
            targets.start();
        }
        if (heartbeats != null) {
            heartbeats.start();
        }
        return this;
    }

    /**
     * The collectors topic (one partition, compacted: every heartbeat goes to partition 0) and, in a group, the
     * targets topic. Best effort: a collector starting while Kafka is away still starts and buffers its samples.
     */
    private static void ensureTopics(final CollectorConfig config) {
        final List<io.replwatch.runtime.kafka.KafkaTopics.Spec> wanted = new java.util.ArrayList<>();
        final Map<String, String> compact = Map.of("cleanup.policy", "compact");
        if (!config.heartbeatInterval().isZero()) {
            wanted.add(io.replwatch.runtime.kafka.KafkaTopics.Spec.of(io.replwatch.schemas.Topics.COLLECTORS)
                    .partitions(1).configs(compact));
        }
        if (config.targets() != null) {
            wanted.add(io.replwatch.runtime.kafka.KafkaTopics.Spec.of(config.targets().topic())
                    .partitions(io.replwatch.collector.targets.TargetsTopic.PARTITIONS).configs(compact));
        }
        if (wanted.isEmpty()) {
            return;
        }
        try {
            io.replwatch.runtime.kafka.KafkaTopics.ensure(config.kafka(), wanted, java.time.Duration.ofSeconds(10));
        } catch (final IllegalStateException e) {
            org.slf4j.LoggerFactory.getLogger(CollectorService.class).warn("{}; going on", e.getMessage());
        }
    }

    /** Healthy while samples reach Kafka: nothing waiting, or an acknowledgement within three intervals. */
    OpsServer.Health health() {
        final long now = System.currentTimeMillis();
        final long sinceAck = now - publisher.lastAckMillis();
        final boolean flowing = flowing(now, publisher.backlog(), publisher.lastAckMillis(), publisher.lastDropMillis(),
                3 * config.pollInterval().toMillis() + 5000);
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("collector_id", config.collectorId());
        d.put("nodes_configured", collector.pollers().size());
        d.put("clusters", collector.clusters().size());
        if (targets != null) {
            d.put("targets_group", config.targets().group());
            d.put("targets_partitions", targets.partitions());
        }
        d.put("nodes_reachable", collector.reachableNodes());
        d.put("publish_backlog", publisher.backlog());
        d.put("samples_acknowledged", publisher.acknowledged());
        d.put("ms_since_last_ack", sinceAck);
        if (publisher.lastDropMillis() > 0) {
            d.put("ms_since_last_drop", now - publisher.lastDropMillis());
        }
        if (publisher.lastError() != null) {
            d.put("last_publish_error", publisher.lastError());
        }
        return new OpsServer.Health(flowing, d);
    }

    /**
     * Whether samples reach Kafka: down while samples wait longer than {@code limitMs} for an acknowledgement, or
     * while they are being dropped (a drop since the last acknowledgement, within {@code limitMs}). Up while every
     * sample is refused would hide exactly what /health is for.
     */
    static boolean flowing(final long now, final long backlog, final long lastAck, final long lastDrop, final long limitMs) {
        final boolean waiting = backlog > 0 && now - lastAck >= limitMs;
        final boolean dropping = lastDrop > 0 && lastDrop >= lastAck && now - lastDrop < limitMs;
        return !waiting && !dropping;
    }

    public int httpPort() {
        return ops == null ? -1 : ops.port();
    }

    public Collector collector() {
        return collector;
    }

    /** The collector's meters (what /metrics serves). */
    public io.micrometer.core.instrument.MeterRegistry metrics() {
        return metrics;
    }

    public SamplePublisher publisher() {
        return publisher;
    }

    @Override
    public void close() {
        // The last heartbeat names the clusters polled before leaving: those nobody takes over are COLLECTOR_DOWN.
        final List<String> polled = collector.clusters();
        if (targets != null) {
            targets.close();
        }
        if (heartbeats != null) {
            heartbeats.close(polled);
        }
        collector.close();
        publisher.close();
        if (ops != null) {
            ops.close();
        }
    }
}
