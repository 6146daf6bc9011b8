package io.replwatch.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.ReplicationSample;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.SampleFixtures;
import io.replwatch.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake sink on the sandbox's broker and registry, killed with SIGKILL in the middle of its files (a child
 * JVM) and restarted: every produced sample is in the lake exactly once, row for row, in the Hive partition of
 * its date (the default layout of a new lake); a poison pill is dead-lettered and does not stop it.
 */
@Tag("chaos")
class LakeIT {

    private static Sandbox sandbox;
    private static String bootstrap;
    private static String registry;

    @BeforeAll
    static void up() throws Exception {
        sandbox = LakeFixtures.sandbox("lake-it-", 3);
        bootstrap = sandbox.kafka().bootstrapServers();
        registry = sandbox.registry().url();
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void killedMidFileAndRestartedLosesAndDuplicatesNothing(@TempDir final Path tmp) throws Exception {
        final Path lake = tmp.resolve("lake");
        final Path cfg = tmp.resolve("lake.yaml");
        Files.writeString(cfg, """
                group_id: lake-it
                http_port: 0
                kafka: {bootstrap.servers: "%s", max.poll.records: 100}
                schema_registry: {url: "%s"}
                output: {type: local, path: "%s"}
                roll: {max_rows: 400, max_age: 1s}
                """.formatted(bootstrap, registry, lake));
        LakeFixtures.produce(bootstrap, registry, 0, 3000);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(Topics.SAMPLES, "c1".getBytes(), new byte[] {0, 0, 0, 0, 42, 7})).get();
            // A sample of the current schema, cut short: the transcoder's check refuses it before a byte is written.
            final io.replwatch.serde.AvroSerializer<ReplicationSample> ser = new io.replwatch.serde.AvroSerializer<>();
            ser.configure(Map.of(io.replwatch.serde.SerdeConfig.SCHEMA_REGISTRY_URL, registry), false);
            final byte[] whole = ser.serialize(Topics.SAMPLES, LakeFixtures.sample(99_999));
            p.send(new ProducerRecord<>(Topics.SAMPLES, "c1".getBytes(),
                    java.util.Arrays.copyOf(whole, whole.length - 3))).get();
        }
        LakeFixtures.produce(bootstrap, registry, 3000, 6000);

        // A child JVM runs the sink; it is killed once it has published files and has others open in staging.
        final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.replwatch.lake.LakeMain", "--config", cfg.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() ->
                    LakeFixtures.parquetFiles(lake.resolve("samples")).size() >= 4 && stagingCount(lake) > 0);
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        final int filesAtKill = LakeFixtures.parquetFiles(lake.resolve("samples")).size();
        assertThat(committed()).as("the kill came before the end").isLessThan(6002);

        LakeFixtures.produce(bootstrap, registry, 6000, 7000);
        final LakeService restarted = new LakeService(LakeConfig.load(cfg)).start();
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> committed() == 7002);
        } finally {
            restarted.close();
        }

        final Map<Long, String> rows = new HashMap<>();
        final List<Long> dupes = new ArrayList<>();
        for (final Path f : LakeFixtures.parquetFiles(lake.resolve("samples"))) {
            final String dir = lake.relativize(f.getParent()).toString();
            for (final ReplicationSample s : LakeFixtures.<ReplicationSample>read(f)) {
                // A new lake takes layout: date (auto, the default).
                assertThat(dir).isEqualTo("samples/date=" + s.getSampledAt().atZone(ZoneOffset.UTC).toLocalDate());
                if (rows.put(s.getSequence(), SampleFixtures.content(s)) != null) {
                    dupes.add(s.getSequence());
                }
            }
        }
        assertThat(dupes).as("duplicated rows").isEmpty();
        assertThat(rows).hasSize(7000);
        for (int i = 0; i < 7000; i++) {
            assertThat(rows.get((long) i)).as("row %d", i).isEqualTo(SampleFixtures.content(LakeFixtures.sample(i)));
        }
        assertThat(filesAtKill).isGreaterThan(0);
        assertThat(io.replwatch.schemas.TopicReader.values(bootstrap, registry, Topics.DEAD_LETTER,
                io.replwatch.avro.DeadLetter.class)).extracting(d -> d.getReason())
                .anySatisfy(r -> assertThat(r).contains("Unknown schema id 42"))
                .anySatisfy(r -> assertThat(r).contains("Truncated or corrupt Avro payload").contains("truncated"));
        assertThat(stagingCount(lake)).as("the restarted sink leaves nothing in staging").isZero();
    }

    private static int stagingCount(final Path lake) throws Exception {
        try (var s = Files.list(lake.resolve(".staging"))) {
            return (int) s.count();
        } catch (final java.nio.file.NoSuchFileException e) {
            return 0;
        }
    }

    private static long committed() throws Exception {
        try (Admin a = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            return a.listConsumerGroupOffsets("lake-it").partitionsToOffsetAndMetadata().get().entrySet().stream()
                    .filter(e -> e.getKey().topic().equals(Topics.SAMPLES))
                    .mapToLong(e -> e.getValue().offset()).sum();
        }
    }
}
