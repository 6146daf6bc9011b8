package io.replwatch.collector;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.replwatch.collector.config.CollectorConfig;
import io.replwatch.collector.publish.SamplePublisher;
import io.replwatch.runtime.ops.OpsServer;
import java.util.LinkedHashMap;
import java.util.Map;

/** The running collector: publisher, pollers and the /metrics and /health endpoints, wired from a config. */
public final class CollectorService implements AutoCloseable {

    private final CollectorConfig config;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final SamplePublisher publisher;
    private final Collector collector;
    private final OpsServer ops;

    public CollectorService(final CollectorConfig config) {
        this.config = config;
        this.publisher = new SamplePublisher(config.kafka(), config.registry(), config.topic(), metrics);
        this.collector = new Collector(config, publisher::publish, metrics);
        this.ops = config.httpPort() < 0 ? null
                : OpsServer.start(config.httpBind(), config.httpPort(), metrics::scrape, this::health);
    }

    public CollectorService start() {
        collector.start();
        return this;
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
        collector.close();
        publisher.close();
        if (ops != null) {
            ops.close();
        }
    }
}
