package io.replwatch.lake;

import io.replwatch.lake.sink.ParquetRows;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.schemas.SampleFixtures;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** Synthetic samples, producing them, and reading Parquet back (Parquet's file reader and parquet-avro's record assembly). */
public final class LakeFixtures {

    public static final Instant DAY0 = Instant.parse("2026-11-20T22:00:00Z");

    private LakeFixtures() {
    }

    /** Sample {@code i}: 5 clusters x 3 nodes, a sequence per node, times spread over about three days. */
    public static ReplicationSample sample(final int i) {
        return sample(i, 37);
    }

    /** Sample {@code i} with {@code stepSeconds} between consecutive samples. */
    public static ReplicationSample sample(final int i, final long stepSeconds) {
        final ReplicationSample base = SampleFixtures.primaryWithTwoStandbys(DAY0.toEpochMilli());
        return ReplicationSample.newBuilder(base)
                .setCluster("c" + (i % 5))
                .setNode("n" + (i / 5 % 3))
                .setSequence(i)
                .setSampledAt(DAY0.plusSeconds(i * stepSeconds))
                .setWalLsn(1_000_000L + i * 8192L)
                .build();
    }

    /**
     * Sample {@code i} of a wide fleet polled once a second: {@code clusters} clusters of 3 nodes, every node's sample of
     * second {@code t} before any of second {@code t + 1}, so consecutive samples belong to different clusters.
     */
    public static ReplicationSample fleetSample(final int i, final int clusters) {
        return fleetSample(i, clusters, 3);
    }

    /** The same with {@code nodes} nodes per cluster (the processor benchmark's fleet has 5). */
    public static ReplicationSample fleetSample(final int i, final int clusters, final int nodes) {
        final ReplicationSample base = SampleFixtures.primaryWithTwoStandbys(DAY0.toEpochMilli());
        return ReplicationSample.newBuilder(base)
                .setCluster("f" + (i / nodes % clusters))
                .setNode("n" + (i % nodes))
                .setSequence(i)
                .setSampledAt(DAY0.plusSeconds(i / ((long) nodes * clusters)))
                .setWalLsn(1_000_000L + i * 8192L)
                .build();
    }

    public static void produce(final String bootstrap, final String registry, final int from, final int to) {
        produce(bootstrap, registry, from, to, 37);
    }

    public static void produce(final String bootstrap, final String registry, final int from, final int to,
                               final long stepSeconds) {
        produce(bootstrap, registry, from, to, i -> sample(i, stepSeconds));
    }

    public static void produce(final String bootstrap, final String registry, final int from, final int to,
                               final java.util.function.IntFunction<ReplicationSample> samples) {
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(Map.of("schema.registry.url", registry), false);
        try (KafkaProducer<String, ReplicationSample> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "linger.ms", 5), new StringSerializer(), ser)) {
            for (int i = from; i < to; i++) {
                final ReplicationSample s = samples.apply(i);
                p.send(new ProducerRecord<>(Topics.SAMPLES, s.getCluster(), s));
            }
        }
    }

    /**
     * A sandbox (broker and registry, no PostgreSQL) with the lake's topics: {@code samplePartitions} partitions of
     * samples, one of rollups, one of dead letters.
     */
    public static io.replwatch.sandbox.Sandbox sandbox(final String tempDir, final int samplePartitions) throws Exception {
        io.replwatch.serde.AvroTrust.init();
        final io.replwatch.sandbox.Sandbox sandbox = io.replwatch.sandbox.Sandbox.builder().tempDir(tempDir)
                .postgres(false).start();
        try (org.apache.kafka.clients.admin.Admin a = org.apache.kafka.clients.admin.Admin.create(
                Map.<String, Object>of("bootstrap.servers", sandbox.kafka().bootstrapServers()))) {
            a.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(Topics.SAMPLES, samplePartitions, (short) 1),
                    new org.apache.kafka.clients.admin.NewTopic(Topics.ROLLUPS, 1, (short) 1),
                    new org.apache.kafka.clients.admin.NewTopic(Topics.DEAD_LETTER, 1, (short) 1))).all().get();
        } catch (final Exception e) {
            sandbox.close();
            throw e;
        }
        return sandbox;
    }

    public static List<Path> parquetFiles(final Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> w = Files.walk(dir)) {
            return w.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        }
    }

    /** Every row of a Parquet file, as the generated classes. */
    public static <T extends SpecificRecord> List<T> read(final Path file) throws IOException {
        final SpecificData model = new SpecificData();
        model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        final List<T> out = new ArrayList<>();
        ParquetRows.<T>read(file, model, out::add);
        return out;
    }
}
