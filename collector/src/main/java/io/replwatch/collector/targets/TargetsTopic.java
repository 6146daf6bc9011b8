package io.replwatch.collector.targets;

import io.replwatch.avro.ClusterTarget;
import io.replwatch.runtime.kafka.KafkaTopics;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.AvroSerializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The targets topic as a whole: read it, compare it with a desired set, publish the difference. */
public final class TargetsTopic {

    /** Partitions of the targets topic when replwatch creates it: the finest split of the fleet among collectors. */
    public static final int PARTITIONS = 12;

    /**
     * The topic now: its clusters, and the keys whose latest record cannot be read (not a ClusterTarget in the wire
     * format: written by something else, or damaged), with why.
     */
    public record Contents(Map<String, ClusterTarget> clusters, Map<String, String> unreadable,
                           Map<String, Integer> unreadableAt) {
        public Contents(final Map<String, ClusterTarget> clusters, final Map<String, String> unreadable) {
            this(clusters, unreadable, Map.of());
        }
    }

    /**
     * What applying a desired set changes. {@code removed}: clusters no longer listed, and unreadable records not
     * replaced by a listed cluster (tombstoned too, so that no undecodable record stays in the topic for good).
     */
    public record Diff(List<ClusterTarget> added, List<ClusterTarget> changed, List<String> removed, int unchanged,
                       Map<String, Integer> removedAt) {

        public Diff(final List<ClusterTarget> added, final List<ClusterTarget> changed, final List<String> removed,
                    final int unchanged) {
            this(added, changed, removed, unchanged, Map.of());
        }

        public boolean empty() {
            return added.isEmpty() && changed.isEmpty() && removed.isEmpty();
        }
    }

    private TargetsTopic() {
    }

    public static Diff diff(final Contents current, final Map<String, ClusterTarget> desired) {
        final Diff d = diff(current.clusters(), desired);
        final List<String> removed = new ArrayList<>(d.removed());
        final Map<String, Integer> at = new HashMap<>();
        new TreeMap<>(current.unreadable()).keySet().stream().filter(k -> !desired.containsKey(k)).forEach(k -> {
            removed.add(k);
            // Its tombstone goes where the record is, whichever partition its writer chose.
            if (current.unreadableAt().containsKey(k)) {
                at.put(k, current.unreadableAt().get(k));
            }
        });
        return new Diff(d.added(), d.changed(), removed, d.unchanged(), at);
    }

    public static Diff diff(final Map<String, ClusterTarget> current, final Map<String, ClusterTarget> desired) {
        final List<ClusterTarget> added = new ArrayList<>();
        final List<ClusterTarget> changed = new ArrayList<>();
        final List<String> removed = new ArrayList<>();
        int same = 0;
        for (final ClusterTarget d : new TreeMap<>(desired).values()) {
            final ClusterTarget c = current.get(d.getCluster());
            if (c == null) {
                added.add(d);
            } else if (!sameDefinition(c, d)) {
                changed.add(d);
            } else {
                same++;
            }
        }
        for (final String c : new TreeMap<>(current).keySet()) {
            if (!desired.containsKey(c)) {
                removed.add(c);
            }
        }
        return new Diff(added, changed, removed, same);
    }

    /** Equal but for when and from where it was applied. */
    static boolean sameDefinition(final ClusterTarget a, final ClusterTarget b) {
        return a.getCluster().equals(b.getCluster()) && a.getLabels().equals(b.getLabels())
                && java.util.Objects.equals(a.getPollIntervalMs(), b.getPollIntervalMs()) && a.getNodes().equals(b.getNodes());
    }

    /** Every cluster in the topic now (tombstoned ones left out), read from the beginning to the end. */
    public static Contents read(final Map<String, String> kafka, final Map<String, String> registry,
                                                  final String topic, final Duration timeout) {
        final Map<String, Object> p = new HashMap<>(kafka);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        final AvroDeserializer<ClusterTarget> values = new AvroDeserializer<>(ClusterTarget.class);
        values.configure(registry, false);
        final Map<String, ClusterTarget> out = new TreeMap<>();
        final Map<String, String> unreadable = new TreeMap<>();
        final Map<String, Integer> unreadableAt = new HashMap<>();
        final long deadline = System.currentTimeMillis() + timeout.toMillis();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = c.partitionsFor(topic, timeout).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            final Map<TopicPartition, Long> ends = committedEnds(c, parts, p, Duration.ofMillis(
                    Math.min(timeout.toMillis(), COMMIT_MARKERS_WAIT.toMillis())));
            while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("Reading " + topic + " took longer than " + timeout);
                }
                for (final ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.key() == null) {
                        continue;
                    }
                    out.remove(r.key());
                    unreadable.remove(r.key());
                    unreadableAt.remove(r.key());
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        out.put(r.key(), values.deserialize(topic, r.value()));
                    } catch (final RuntimeException e) {
                        // Unreadable: no cluster; applying a definition of it replaces it, applying without it
                        // tombstones it.
                        unreadable.put(r.key(), e.getMessage());
                        unreadableAt.put(r.key(), r.partition());
                    }
                }
            }
        }
        return new Contents(out, unreadable, unreadableAt);
    }

    /** How long a read waits for the markers of a transaction that is still open (normally one just committed). */
    static final Duration COMMIT_MARKERS_WAIT = Duration.ofSeconds(10);

    /**
     * The committed end of each partition, after waiting up to {@code wait} for open transactions to end. A producer
     * is told its commit succeeded before the markers reach the partitions, so an {@code apply} followed at once by a
     * read (a {@code list}, the next {@code apply}'s diff) could otherwise miss what was just applied. A transaction
     * left open longer (an apply killed mid-way, until the broker aborts it) is not waited for past {@code wait}.
     */
    private static Map<TopicPartition, Long> committedEnds(final KafkaConsumer<String, byte[]> committed,
                                                           final List<TopicPartition> parts,
                                                           final Map<String, Object> props, final Duration wait) {
        final Map<String, Object> p = new HashMap<>(props);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        final long deadline = System.nanoTime() + wait.toNanos();
        try (KafkaConsumer<byte[], byte[]> all = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final Map<TopicPartition, Long> written = all.endOffsets(parts, wait);
            while (true) {
                final Map<TopicPartition, Long> ends = committed.endOffsets(parts, wait);
                if (parts.stream().allMatch(tp -> ends.get(tp) >= written.get(tp)) || System.nanoTime() > deadline) {
                    return ends;
                }
                try {
                    Thread.sleep(50);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ends;
                }
            }
        }
    }

    /** Creates the topic if missing (compacted, {@link #PARTITIONS} partitions). */
    public static void ensure(final Map<String, String> kafka, final String topic) {
        KafkaTopics.ensure(kafka, List.of(KafkaTopics.Spec.of(topic).partitions(PARTITIONS)
                .configs(Map.of("cleanup.policy", "compact"))), Duration.ofSeconds(15));
    }

    /** Publishes the difference: added and changed clusters, tombstones for removed ones; waits for every ack. */
    public static void publish(final Map<String, String> kafka, final Map<String, String> registry, final String topic,
                               final Diff diff, final Duration timeout) {
        final Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "replwatch-targets-apply");
        // All or nothing: collectors read committed records only, so a half-applied set is never seen.
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "replwatch-targets-apply-" + topic);
        final AvroSerializer<ClusterTarget> values = new AvroSerializer<>();
        values.configure(registry, false);
        try (KafkaProducer<String, ClusterTarget> producer = new KafkaProducer<>(p, new StringSerializer(), values)) {
            producer.initTransactions();
            producer.beginTransaction();
            final List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
            for (final ClusterTarget t : diff.added()) {
                acks.add(producer.send(new ProducerRecord<>(topic, t.getCluster(), t)));
            }
            for (final ClusterTarget t : diff.changed()) {
                acks.add(producer.send(new ProducerRecord<>(topic, t.getCluster(), t)));
            }
            for (final String c : diff.removed()) {
                acks.add(producer.send(new ProducerRecord<>(topic, diff.removedAt().get(c), c, null)));
            }
            producer.commitTransaction();
            for (final var a : acks) {
                a.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while publishing targets", e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Publishing to " + topic + " failed: " + e.getMessage(), e);
        }
    }
}
