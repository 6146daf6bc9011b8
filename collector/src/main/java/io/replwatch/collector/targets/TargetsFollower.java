package io.replwatch.collector.targets;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.replwatch.avro.ClusterTarget;
import io.replwatch.avro.TargetNode;
import io.replwatch.collector.Collector;
import io.replwatch.collector.config.NodeConfig;
import io.replwatch.collector.config.TargetsSettings;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.RegistryException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A collector's membership in the collectors' consumer group over the targets topic: it polls the clusters of the
 * partitions the group assigns it, and follows every change to them while it holds them.
 *
 * <ul>
 *   <li>Cooperative rebalancing (CooperativeStickyAssignor): a collector joining or leaving moves only the
 *       partitions that must move; the others keep polling without a pause.</li>
 *   <li>A partition newly assigned is read from its beginning (the topic is compacted: it holds the desired set),
 *       and its clusters start being polled once it is read up to where it ended at assignment, each cluster at its
 *       latest definition.</li>
 *   <li>A revoked or lost partition's clusters stop being polled here, without a farewell: another collector takes
 *       them. A tombstone (the cluster left the targets) stops them with a farewell, so the processor forgets the
 *       nodes.</li>
 *   <li>Offsets are never committed: the group only shares partitions out.</li>
 *   <li>A record that cannot be decoded is skipped, logged and counted, never fatal.</li>
 * </ul>
 */
public final class TargetsFollower implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TargetsFollower.class);

    private final TargetsSettings settings;
    private final Collector collector;
    private final Credentials credentials;
    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroDeserializer<ClusterTarget> decoder;
    private final Thread thread;
    private final Counter undecodable;
    private final Counter unresolved;
    private final Counter rebalances;
    /** Partitions of the targets topic held now (the gauge reads its size). */
    private final Set<TopicPartition> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closing;
    /** Clusters polled through the group, by partition. */
    private final Map<Integer, Set<String>> owned = new HashMap<>();
    /** Partitions being read up to their end offset at assignment, with the latest value per cluster so far. */
    private final Map<TopicPartition, Long> catchingUp = new HashMap<>();
    private final Map<TopicPartition, Map<String, ClusterTarget>> pending = new HashMap<>();

    public TargetsFollower(final TargetsSettings settings, final String collectorId, final Map<String, String> kafka,
                           final Map<String, String> registry, final Collector collector, final MeterRegistry metrics) {
        this.settings = settings;
        this.collector = collector;
        this.credentials = new Credentials(settings.credentialsFile(), System::getenv);
        final Map<String, Object> p = new HashMap<>(kafka);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, collectorId);
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, settings.sessionTimeout().toMillis() / 4));
        // The loop only reads a compacted topic and hands targets over: a stuck loop is a bug, not slow work.
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 60_000);
        p.remove("transactional.id");
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.decoder = new AvroDeserializer<>(ClusterTarget.class);
        decoder.configure(registry, false);
        this.undecodable = Counter.builder("replwatch_collector_targets_undecodable")
                .description("Target records skipped because they could not be decoded").register(metrics);
        this.unresolved = Counter.builder("replwatch_collector_credentials_unresolved")
                .description("Target nodes whose named credential this collector could not resolve (polled without)")
                .register(metrics);
        this.rebalances = Counter.builder("replwatch_collector_targets_rebalances")
                .description("Partitions of the targets topic assigned to or taken from this collector").register(metrics);
        metrics.gauge("replwatch_collector_targets_partitions", held, Set::size);
        this.thread = new Thread(this::run, "replwatch-targets");
        thread.setDaemon(true);
    }

    public TargetsFollower start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(settings.topic()), new Listener());
            while (!closing) {
                final var batch = consumer.poll(Duration.ofMillis(500));
                for (final TopicPartition tp : batch.partitions()) {
                    for (final ConsumerRecord<String, byte[]> r : batch.records(tp)) {
                        try {
                            onRecord(r);
                        } catch (final RetryLater e) {
                            consumer.seek(tp, r.offset());
                            break;
                        }
                    }
                }
                flushCaughtUp();
            }
        } catch (final WakeupException e) {
            if (!closing) {
                LOG.error("Targets consumer woken up unexpectedly", e);
            }
        } catch (final RuntimeException e) {
            LOG.error("Following {} failed; this collector polls no group targets any more", settings.topic(), e);
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (final RuntimeException e) {
                LOG.debug("Closing the targets consumer: {}", e.toString());
            }
        }
    }

    private void onRecord(final ConsumerRecord<String, byte[]> r) {
        final TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        final String cluster = r.key();
        if (cluster == null) {
            undecodable.increment();
            LOG.warn("{}-{}@{}: target record without a key (the cluster name); skipped", r.topic(), r.partition(), r.offset());
            return;
        }
        ClusterTarget target = null;
        if (r.value() != null) {
            try {
                target = decoder.deserialize(r.topic(), r.value());
                if (!cluster.equals(target.getCluster())) {
                    throw new IllegalArgumentException("key '" + cluster + "' names another cluster than the value's '"
                            + target.getCluster() + "'");
                }
            } catch (final RuntimeException e) {
                if (RegistryException.isRetriable(e)) {
                    // The registry is down, not the record bad: read it again once the registry answers.
                    LOG.warn("{}: schema registry unavailable; reading the targets again: {}", cluster, e.getMessage());
                    sleep(1000);
                    throw new RetryLater();
                }
                undecodable.increment();
                LOG.warn("{}-{}@{}: target '{}' cannot be decoded; skipped: {}", r.topic(), r.partition(), r.offset(),
                        cluster, e.getMessage());
                return;
            }
        }
        final Map<String, ClusterTarget> buffer = pending.get(tp);
        if (buffer != null) {
            buffer.put(cluster, target);
            return;
        }
        apply(r.partition(), cluster, target);
    }

    /** A record left unread until the registry answers again. */
    private static final class RetryLater extends RuntimeException {
        RetryLater() {
            super(null, null, false, false);
        }
    }

    private void apply(final int partition, final String cluster, final ClusterTarget target) {
        final Set<String> mine = owned.computeIfAbsent(partition, k -> new HashSet<>());
        if (target == null) {
            if (mine.remove(cluster)) {
                collector.removeCluster(cluster, "its cluster left the targets: no longer polled");
            }
            return;
        }
        mine.add(cluster);
        collector.applyCluster(cluster, nodes(target), target.getPollIntervalMs() == null ? null
                : Duration.ofMillis(target.getPollIntervalMs()));
    }

    /** The target's nodes as this collector polls them: its labels merged, its credential resolved here. */
    List<NodeConfig> nodes(final ClusterTarget t) {
        final List<NodeConfig> out = new ArrayList<>();
        for (final TargetNode n : t.getNodes()) {
            String password = null;
            try {
                password = credentials.resolve(n.getCredential());
            } catch (final Credentials.Unresolved e) {
                unresolved.increment();
                LOG.warn("{}/{}: {}; polling without a password", t.getCluster(), n.getName(), e.getMessage());
            }
            final Map<String, String> labels = new LinkedHashMap<>(t.getLabels());
            labels.putAll(n.getLabels());
            out.add(new NodeConfig(t.getCluster(), n.getName(), n.getHost(), n.getPort(), n.getDatabase(), n.getUser(),
                    password, n.getSslmode(), n.getSslrootcert(), n.getSslcert(), n.getSslkey(), Map.copyOf(labels)));
        }
        return out;
    }

    /** Partitions read up to their end at assignment: their clusters, at their latest definition, start now. */
    private void flushCaughtUp() {
        if (catchingUp.isEmpty()) {
            return;
        }
        for (final var it = catchingUp.entrySet().iterator(); it.hasNext(); ) {
            final var e = it.next();
            if (consumer.position(e.getKey()) < e.getValue()) {
                continue;
            }
            it.remove();
            final Map<String, ClusterTarget> latest = pending.remove(e.getKey());
            int n = 0;
            for (final var c : latest.entrySet()) {
                if (c.getValue() != null) {
                    apply(e.getKey().partition(), c.getKey(), c.getValue());
                    n++;
                }
            }
            LOG.info("{}: {} clusters to poll", e.getKey(), n);
        }
    }

    private final class Listener implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(final Collection<TopicPartition> assigned) {
            if (assigned.isEmpty()) {
                return;
            }
            rebalances.increment(assigned.size());
            held.addAll(assigned);
            consumer.seekToBeginning(assigned);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
            for (final TopicPartition tp : assigned) {
                catchingUp.put(tp, ends.getOrDefault(tp, 0L));
                pending.put(tp, new LinkedHashMap<>());
            }
            LOG.info("Assigned {}", assigned);
        }

        @Override
        public void onPartitionsRevoked(final Collection<TopicPartition> revoked) {
            release(revoked, "revoked");
        }

        @Override
        public void onPartitionsLost(final Collection<TopicPartition> lost) {
            release(lost, "lost");
        }

        private void release(final Collection<TopicPartition> parts, final String how) {
            if (parts.isEmpty()) {
                return;
            }
            rebalances.increment(parts.size());
            for (final TopicPartition tp : parts) {
                catchingUp.remove(tp);
                pending.remove(tp);
                held.remove(tp);
                final Set<String> clusters = owned.remove(tp.partition());
                if (clusters != null) {
                    clusters.forEach(c -> collector.removeCluster(c, null));
                }
            }
            LOG.info("Partitions {}: {}", how, parts);
        }
    }

    /** Partitions of the targets topic held now. */
    public int partitions() {
        return held.size();
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
