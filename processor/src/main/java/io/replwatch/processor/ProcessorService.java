package io.replwatch.processor;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.replwatch.processor.metrics.ReplicationGauges;
import io.replwatch.runtime.ops.OpsServer;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.runtime.kafka.KafkaTopics;
import io.replwatch.processor.http.HealthApi;
import io.replwatch.processor.topology.ProcessorTopology;
import io.replwatch.schemas.Topics;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running processor: topics made sure of, the topology in Kafka Streams with exactly_once_v2, the
 * interactive-query HTTP API over the node-health store, /metrics and /health. Lifecycle: construct (connects to
 * nothing), {@link #start()}, {@link #close()}.
 */
public final class ProcessorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorService.class);

    private final ProcessorConfig config;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private OpsServer ops;
    private KafkaStreams streams;
    private KafkaStreamsMetrics streamsMetrics;

    public ProcessorService(final ProcessorConfig config) {
        this.config = config;
    }

    /**
     * The Kafka Streams settings the processor runs with before the config's {@code kafka:} map is applied (the
     * benchmark uses the same ones, so it measures what ships).
     */
    public static Properties streamsDefaults() {
        final Properties p = new Properties();
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // The global store of logical consumers: its loader throws nothing, and Kafka Streams 5 will make this the
        // default (4.x warns at every start without it).
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Changelogs and outputs are repetitive binary state and Avro: compressing them halves what the broker handles.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        // With transactions version 2 (Kafka 4 brokers) a send that reaches a partition while the previous
        // transaction's markers are still being written is answered CONCURRENT_TRANSACTIONS and retried after
        // retry.backoff.ms, and the next commit waits for it: 100 ms by default, a whole commit interval. The
        // backoff still grows exponentially up to retry.backoff.max.ms (1 s) while a broker is really unavailable.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 10);
        // Per partition and transaction the processor writes hundreds of node states and lag rates: 128 KiB
        // batches (the producer's default is 16 KiB) mean fewer, better-compressed requests; the broker's CPU per
        // sample fell by a fifth in the benchmark (BENCHMARKS.md). At most one such batch per partition is open.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 128 * 1024);
        // An instance that dies without leaving the group (SIGKILL, a lost host) keeps its partitions until the
        // broker gives up on it: 45 s by default. 10 s (heartbeats every 3 s) makes the takeover by another instance
        // take about 10 to 15 s; `kafka: {session.timeout.ms: ...}` changes it (the broker allows 6 s to 5 min).
        p.put(StreamsConfig.consumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        p.put(StreamsConfig.consumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 3_000);
        return p;
    }

    public ProcessorService start() {
        ensureTopics();
        ops = OpsServer.start(config.httpBind(), config.httpPort(), metrics::scrape, this::health);
        final String advertised = config.advertisedUrl() != null ? config.advertisedUrl()
                : "http://" + hostName() + ":" + ops.port();
        final URI adv = URI.create(advertised);
        final Properties p = streamsDefaults();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, adv.getHost() + ":" + adv.getPort());
        p.putAll(config.kafka());
        final io.micrometer.core.instrument.Counter skewed = io.micrometer.core.instrument.Counter
                .builder("replwatch_processor_clock_skewed_samples")
                .description("Samples whose collector's clock was off by more than clock_skew_window (CLOCK_SKEW)")
                .register(metrics);
        // The replication signals of the nodes this instance owns, beside Kafka Streams' own metrics on /metrics.
        final io.micrometer.core.instrument.Counter takeovers = io.micrometer.core.instrument.Counter
                .builder("replwatch_processor_collector_changes")
                .description("Samples of a node from another collector than its last one: a takeover in the collectors' "
                        + "group, or a collector restarted under another id").register(metrics);
        final io.micrometer.core.instrument.Counter missing = io.micrometer.core.instrument.Counter
                .builder("replwatch_processor_samples_missing")
                .description("Samples lost between two of one collector for a node (its sequence numbers skipped)")
                .register(metrics);
        final ReplicationGauges gauges = new ReplicationGauges(skewed::increment, takeovers::increment,
                missing::increment);
        metrics.getPrometheusRegistry().register(gauges);
        streams = new KafkaStreams(ProcessorTopology.build(config.topology(), config.registry(), config.stateStore(),
                gauges), p);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Stream thread failed; replacing it: {}", e.toString(), e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
        final io.replwatch.serde.AvroDeserializer<io.replwatch.avro.CollectorStatus> statuses =
                new io.replwatch.serde.AvroDeserializer<>(io.replwatch.avro.CollectorStatus.class);
        statuses.configure(config.registry(), false);
        new HealthApi(streams, ops, adv, statuses).register();
        streams.start();
        LOG.info("Processor {} started; API on {}", config.applicationId(), advertised);
        return this;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (final java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    /**
     * Creates replwatch's topics when missing (node-health and logical-consumers compacted), with the broker's
     * replication factor.
     */
    private void ensureTopics() {
        final List<KafkaTopics.Spec> wanted = new ArrayList<>();
        for (final String t : Topics.all()) {
            if (t.equals(Topics.TARGETS)) {
                continue; // the collectors' (replwatch targets apply makes it, with its own partition count)
            }
            // Heartbeats go to partition 0 and are judged together (which collector holds which cluster): one each.
            final boolean single = t.equals(Topics.COLLECTORS) || t.equals(Topics.COLLECTOR_STATUS);
            final KafkaTopics.Spec spec = KafkaTopics.Spec.of(t).partitions(single ? 1 : config.partitions());
            final boolean compacted = t.equals(Topics.NODE_HEALTH) || t.equals(Topics.LOGICAL_CONSUMERS)
                    || t.equals(Topics.TARGETS) || single;
            wanted.add(compacted ? spec.configs(Map.of("cleanup.policy", "compact")) : spec);
        }
        final List<String> created = KafkaTopics.ensure(config.kafka(), wanted, Duration.ofSeconds(30));
        if (!created.isEmpty()) {
            LOG.info("Created topics {}", created);
        }
    }

    OpsServer.Health health() {
        final KafkaStreams.State s = streams == null ? KafkaStreams.State.CREATED : streams.state();
        final Map<String, Object> d = new LinkedHashMap<>();
        d.put("application_id", config.applicationId());
        d.put("streams_state", s.name());
        return new OpsServer.Health(s == KafkaStreams.State.RUNNING || s == KafkaStreams.State.REBALANCING, d);
    }

    public KafkaStreams streams() {
        return streams;
    }

    public int httpPort() {
        return ops == null ? -1 : ops.port();
    }

    /** Waits until Kafka Streams is RUNNING. */
    public void awaitRunning(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka Streams not RUNNING after " + timeout + ": " + streams.state());
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        if (ops != null) {
            ops.close();
        }
    }
}
