package io.replwatch.alerter;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.serde.RegistryRetry;
import io.replwatch.runtime.kafka.KafkaTopics;
import io.replwatch.alerter.delivery.AlerterMetrics;
import io.replwatch.alerter.delivery.KafkaDeadLetters;
import io.replwatch.alerter.delivery.ReceiverQueue;
import io.replwatch.alerter.dispatch.Dispatcher;
import io.replwatch.alerter.dispatch.OffsetTracker;
import io.replwatch.alerter.dispatch.Token;
import io.replwatch.alerter.http.AlerterApi;
import io.replwatch.alerter.model.AlertExtractor;
import io.replwatch.alerter.receiver.Receiver;
import io.replwatch.alerter.routing.Silence;
import io.replwatch.alerter.routing.Silences;
import io.replwatch.alerter.state.KafkaStateStore;
import io.replwatch.alerter.state.AlertJson;
import io.replwatch.avro.DeadLetter;
import io.replwatch.avro.HealthTransition;
import io.replwatch.runtime.ops.OpsServer;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running alerter: restores its state from the compacted state topic, consumes health transitions
 * (read_committed), routes and groups alerts, delivers through one queue per receiver, commits an offset only
 * once everything that record caused is delivered or dead-lettered and the state saying so is written.
 * Lifecycle: construct (connects to nothing), {@link #start()}, {@link #close()}.
 */
public final class AlerterService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AlerterService.class);

    private final AlerterConfig config;
    private final Clock clock;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AlerterMetrics metrics = new AlerterMetrics(registry);
    private final Map<String, ReceiverQueue> queues = new LinkedHashMap<>();
    private final OffsetTracker offsets = new OffsetTracker();
    private final AtomicLong lastPoll = new AtomicLong();
    private KafkaStateStore state;
    private KafkaDeadLetters deadLetters;
    private Dispatcher dispatcher;
    private Silences silences;
    private OpsServer ops;
    private ScheduledExecutorService ticker;
    private Thread consumerThread;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean running;
    private volatile boolean assigned;

    public AlerterService(final AlerterConfig config) {
        this(config, Clock.systemUTC());
    }

    public AlerterService(final AlerterConfig config, final Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    public AlerterService start() {
        ensureTopics();
        state = new KafkaStateStore(config.stateTopic(), config.kafka());
        deadLetters = new KafkaDeadLetters(config.kafka(), config.registry());
        silences = new Silences(config.silences(), state, clock);
        for (final Map.Entry<String, java.util.function.Function<Clock, Receiver>> e : config.receivers().entrySet()) {
            queues.put(e.getKey(), new ReceiverQueue(e.getValue().apply(clock), config.receiverSettings().get(e.getKey()),
                    deadLetters, metrics, clock));
        }
        dispatcher = new Dispatcher(config.route(), config.inhibitRules(), silences, state,
                (n, settled) -> queues.get(n.receiver()).submit(n, settled), clock, config.externalUrl());
        restore();
        ops = OpsServer.start(config.httpBind(), config.httpPort(), registry::scrape, this::health);
        new AlerterApi(dispatcher, silences, clock, config.api()).register(ops);
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "replwatch-alerter-tick");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(() -> {
            try {
                dispatcher.tick();
            } catch (final RuntimeException e) {
                LOG.error("Dispatcher tick failed: {}", e.toString(), e);
            }
        }, 100, 100, TimeUnit.MILLISECONDS);
        running = true;
        consumerThread = new Thread(this::consume, "replwatch-alerter-consumer");
        consumerThread.start();
        LOG.info("Alerter {} started: {} receiver(s), metrics and API on :{}", config.groupId(), queues.size(), ops.port());
        return this;
    }

    private void restore() {
        final Map<String, String> saved = state.readAll(Duration.ofSeconds(60));
        int groups = 0;
        int silenced = 0;
        for (final Map.Entry<String, String> e : saved.entrySet()) {
            try {
                if (Dispatcher.isGroupKey(e.getKey())) {
                    dispatcher.restore(e.getKey(), AlertJson.JSON.readTree(e.getValue()));
                    groups++;
                } else if (Silences.isSilenceKey(e.getKey())) {
                    silences.restore(Silence.fromJson(AlertJson.JSON.readTree(e.getValue())));
                    silenced++;
                }
            } catch (final Exception ex) {
                LOG.warn("Skipping unreadable alerter state {}: {}", e.getKey(), ex.toString());
            }
        }
        LOG.info("Restored {} alert group(s) and {} silence(s) from {}", groups, silenced, config.stateTopic());
    }

    private void consume() {
        final Map<String, Object> p = new HashMap<>(config.kafka());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final AvroDeserializer<HealthTransition> decoder = new AvroDeserializer<>(HealthTransition.class);
        decoder.configure(config.registry(), false);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer = c;
            c.subscribe(List.of(Topics.HEALTH_TRANSITIONS), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(final Collection<TopicPartition> partitions) {
                    commit(c);
                    offsets.forget(partitions);
                }

                @Override
                public void onPartitionsAssigned(final Collection<TopicPartition> partitions) {
                    assigned = true;
                }
            });
            long lastCommit = 0;
            while (running) {
                final var records = c.poll(Duration.ofMillis(100));
                lastPoll.set(System.currentTimeMillis());
                final Instant consumedAt = clock.instant();
                for (final ConsumerRecord<byte[], byte[]> r : records) {
                    final Token token = offsets.track(new TopicPartition(r.topic(), r.partition()), r.offset());
                    final HealthTransition t;
                    try {
                        t = decodeWaitingForTheRegistry(decoder, r);
                    } catch (final RuntimeException e) {
                        deadLetter(r, e, token);
                        continue;
                    }
                    try {
                        if (t != null) { // a tombstone carries no transition
                            metrics.transition("consumed");
                            dispatcher.ingest(AlertExtractor.alerts(t), token, consumedAt);
                        }
                    } finally {
                        token.release();
                    }
                }
                if (!records.isEmpty()) {
                    dispatcher.tick();
                }
                if (System.currentTimeMillis() - lastCommit >= 200) {
                    commit(c);
                    lastCommit = System.currentTimeMillis();
                }
            }
            commit(c);
        } catch (final WakeupException e) {
            // closing
        } catch (final RuntimeException e) {
            LOG.error("Alerter consumer stopped: {}", e.toString(), e);
        } finally {
            consumer = null;
        }
    }

    /**
     * Decodes a transition; while the schema registry cannot be reached (its schema not cached yet), waits and tries
     * again instead of dead-lettering a good record: nothing is committed past it meanwhile. Undecodable bytes and
     * unknown schema ids still throw at once.
     */
    private HealthTransition decodeWaitingForTheRegistry(final AvroDeserializer<HealthTransition> decoder,
                                                         final ConsumerRecord<byte[], byte[]> r) {
        return RegistryRetry.whileUnavailable(() -> decoder.deserialize(r.topic(), r.value()), () -> running, e -> {
            metrics.transition("registry_wait");
            LOG.warn("Schema registry unavailable decoding {}-{}@{}; retrying: {}", r.topic(), r.partition(), r.offset(),
                    e.getMessage());
        });
    }

    private void commit(final KafkaConsumer<byte[], byte[]> c) {
        final Map<TopicPartition, Long> due = offsets.committable();
        if (due.isEmpty()) {
            return;
        }
        final Map<TopicPartition, OffsetAndMetadata> o = new HashMap<>();
        due.forEach((tp, off) -> o.put(tp, new OffsetAndMetadata(off)));
        try {
            c.commitSync(o, Duration.ofSeconds(10));
            offsets.markCommitted(due);
        } catch (final RuntimeException e) {
            LOG.warn("Offset commit failed (will retry): {}", e.toString());
        }
    }

    private void deadLetter(final ConsumerRecord<byte[], byte[]> r, final RuntimeException e, final Token token) {
        metrics.transition("dead_lettered");
        LOG.warn("Undecodable transition at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        final DeadLetter dl = DeadLetter.newBuilder()
                .setStage("alerter")
                .setReason(String.valueOf(e.getMessage()))
                .setErrorClass(e.getClass().getName())
                .setFailedAt(clock.instant())
                .setSourceTopic(r.topic())
                .setSourcePartition(r.partition())
                .setSourceOffset(r.offset())
                .setKey(r.key() == null ? null : ByteBuffer.wrap(r.key()))
                .setValue(r.value() == null ? null : ByteBuffer.wrap(r.value()))
                .build();
        deadLetters.send(r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), dl,
                token::release);
    }

    /** Creates the state topic (compacted, one partition) and the dead-letter topic when missing. */
    private void ensureTopics() {
        KafkaTopics.ensure(config.kafka(), List.of(
                KafkaTopics.Spec.of(config.stateTopic()).partitions(1)
                        .configs(Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "60000")),
                KafkaTopics.Spec.of(Topics.DEAD_LETTER),
                KafkaTopics.Spec.of(Topics.HEALTH_TRANSITIONS)), Duration.ofSeconds(30));
    }

    public OpsServer.Health health() {
        final Map<String, Object> d = new LinkedHashMap<>();
        final long sincePoll = System.currentTimeMillis() - lastPoll.get();
        d.put("group_id", config.groupId());
        d.put("assigned", assigned);
        d.put("ms_since_poll", sincePoll);
        d.put("pending_records", offsets.pendingCount());
        final Map<String, Integer> q = new LinkedHashMap<>();
        queues.forEach((k, v) -> q.put(k, v.depth()));
        d.put("queues", q);
        // Down while state writes fail: what is notified then would be notified again after a restart.
        final boolean stateOk = state == null || !state.failing();
        if (state != null && state.lastWriteFailed() > 0) {
            d.put("ms_since_state_write_failed", System.currentTimeMillis() - state.lastWriteFailed());
        }
        d.put("state_writes", stateOk ? "ok" : "failing");
        return new OpsServer.Health(running && consumerThread.isAlive() && sincePoll < 30_000 && stateOk, d);
    }

    public int httpPort() {
        return ops == null ? -1 : ops.port();
    }

    public boolean assigned() {
        return assigned;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public AlerterMetrics metrics() {
        return metrics;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    public int pendingRecords() {
        return offsets.pendingCount();
    }

    @Override
    public void close() {
        running = false;
        final KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (consumerThread != null) {
            try {
                consumerThread.join(15_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ticker != null) {
            ticker.shutdownNow();
        }
        queues.values().forEach(ReceiverQueue::close);
        if (state != null) {
            state.close();
        }
        if (deadLetters != null) {
            deadLetters.close();
        }
        if (ops != null) {
            ops.close();
        }
    }
}
