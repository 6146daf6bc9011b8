package io.replwatch.schemas;

import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.SerdeConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reading a replwatch topic in the ITs, one way for every module: committed records only (read_committed, what a
 * downstream consumer sees), decoded with the project's serde against the real registry.
 *
 * <ul>
 * <li>{@link #follow}: a background reader from the beginning, collecting records (and when each arrived) until
 * closed; the ITs await on {@link #records()} with Awaitility.</li>
 * <li>{@link #readAll}: every record up to the topic's end offsets now, with its partition and offset.</li>
 * </ul>
 *
 * @param <T> the record type of the topic
 */
public final class TopicReader<T extends org.apache.avro.specific.SpecificRecord> implements AutoCloseable {

    /** A record with where it was. */
    public record Read<T>(int partition, long offset, T value) {
    }

    private final List<T> records = new CopyOnWriteArrayList<>();
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    private TopicReader(final String bootstrap, final String registry, final String topic, final Class<T> type) {
        final AvroDeserializer<T> de = deserializer(registry, type);
        thread = new Thread(() -> {
            final Properties p = new Properties();
            // A group of its own, from the earliest offset: the topic may not exist yet when reading starts.
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "topic-reader-" + java.util.UUID.randomUUID());
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, p)) {
                c.subscribe(List.of(topic));
                while (running.get()) {
                    for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                        arrivals.add(System.currentTimeMillis());
                        records.add(de.deserialize(r.topic(), r.value()));
                    }
                }
            }
        }, "topic-reader-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts reading {@code topic} from its beginning in the background. */
    public static <T extends org.apache.avro.specific.SpecificRecord> TopicReader<T> follow(final String bootstrap,
            final String registry, final String topic, final Class<T> type) {
        return new TopicReader<>(bootstrap, registry, topic, type);
    }

    /** Everything read so far, in arrival order (per partition, in offset order). */
    public List<T> records() {
        return records;
    }

    /** When each record of {@link #records()} arrived here (wall clock, epoch ms), same index. */
    public List<Long> arrivals() {
        return arrivals;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(5_000);
    }

    /** Every committed record of {@code topic} up to its end offsets at the time of the call. */
    public static <T extends org.apache.avro.specific.SpecificRecord> List<Read<T>> readAll(final String bootstrap,
            final String registry, final String topic, final Class<T> type) {
        final AvroDeserializer<T> de = deserializer(registry, type);
        final List<Read<T>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap, new Properties())) {
            final List<TopicPartition> parts = partitions(c, topic);
            c.assign(parts);
            c.seekToBeginning(parts);
            final Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    out.add(new Read<>(r.partition(), r.offset(), de.deserialize(r.topic(), r.value())));
                }
            }
        }
        return out;
    }

    /** As {@link #readAll}, values only. */
    public static <T extends org.apache.avro.specific.SpecificRecord> List<T> values(final String bootstrap,
            final String registry, final String topic, final Class<T> type) {
        return readAll(bootstrap, registry, topic, type).stream().map(Read::value).toList();
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> AvroDeserializer<T> deserializer(
            final String registry, final Class<T> type) {
        final AvroDeserializer<T> de = new AvroDeserializer<>(type);
        de.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, registry), false);
        return de;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(final String bootstrap, final Properties p) {
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(final KafkaConsumer<?, ?> c, final String topic) {
        final List<TopicPartition> parts = new ArrayList<>();
        for (final PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(topic, pi.partition()));
        }
        return parts;
    }
}
