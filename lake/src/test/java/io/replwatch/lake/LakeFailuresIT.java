package io.replwatch.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.lake.sink.LakeSink;
import io.replwatch.lake.store.LakeStore;
import io.replwatch.lake.store.LocalStore;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroTrust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake sink when publishing fails halfway through a batch (issue 17), counted row by row: before, the sink
 * consumed the batch again but kept the files it had already published, so their rows were in the lake twice.
 * Fault injection, so part of the chaos suite ({@code -Pchaos}, beside LakeIT).
 */
@Tag("chaos")
class LakeFailuresIT {

    /** A local lake, for stores that misbehave in one way. */
    private static class LocalDelegate implements LakeStore {
        final LocalStore local;

        LocalDelegate(final Path root) throws IOException {
            this.local = new LocalStore(root);
        }

        @Override
        public void publish(final Path file, final String key) throws IOException {
            local.publish(file, key);
        }

        @Override
        public void delete(final String key) throws IOException {
            local.delete(key);
        }

        @Override
        public List<String> list(final String prefix) throws IOException {
            return local.list(prefix);
        }

        @Override
        public Path staging() {
            return local.staging();
        }

        @Override
        public String describe() {
            return "misbehaving " + local.describe();
        }
    }

    /** A local lake whose publish fails now and then, after some files of a batch went through. */
    private static final class FlakyStore extends LocalDelegate {
        private final AtomicInteger publishes = new AtomicInteger();
        private final AtomicInteger failures = new AtomicInteger();
        private final boolean crash;

        /** @param crash fail with an unexpected exception (a bug: the worker dies) instead of an I/O error */
        FlakyStore(final Path root, final boolean crash) throws IOException {
            super(root);
            this.crash = crash;
        }

        @Override
        public void publish(final Path file, final String key) throws IOException {
            // Every fifth publish fails, three times in all: some of its batch's files are published already.
            if (publishes.incrementAndGet() % 5 == 0 && failures.get() < 3) {
                failures.incrementAndGet();
                if (crash) {
                    throw new IllegalStateException("injected: a bug while publishing " + key);
                }
                throw new IOException("injected: the store refused " + key);
            }
            local.publish(file, key);
        }
    }

    @Test
    void aPublishFailureHalfwayThroughABatchWritesNoRowTwice(@TempDir final Path tmp) throws Exception {
        publishFailures(tmp, false);
    }

    /** A worker that dies (an unexpected exception) is started again and rewrites what it had not committed. */
    @Test
    void aWorkerThatDiesIsStartedAgainAndWritesNoRowTwice(@TempDir final Path tmp) throws Exception {
        final LakeSink sink = publishFailures(tmp, true);
        assertThat(sink.workerRestarts()).as("worker restarts").isEqualTo(3);
    }

    /**
     * A store that cannot be listed when the sink starts (layout: auto asks whether the lake has cluster_date files)
     * fails the worker, which starts again with backoff and writes every row once the store answers: the sink does
     * not exit.
     */
    @Test
    void aStoreThatCannotBeListedAtFirstDelaysTheLayoutNotTheRows(@TempDir final Path tmp) throws Exception {
        try (Sandbox sandbox = LakeFixtures.sandbox("lake-list-it-", 1)) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            LakeFixtures.produce(bootstrap, sandbox.registry().url(), 0, 300);
            final AtomicInteger refused = new AtomicInteger();
            final LocalDelegate store = new LocalDelegate(tmp.resolve("lake")) {
                @Override
                public boolean anyKeyStartingWith(final String keyPrefix) throws IOException {
                    if (refused.incrementAndGet() <= 2) {
                        throw new IOException("injected: the store cannot be listed yet");
                    }
                    return local.anyKeyStartingWith(keyPrefix);
                }
            };
            final LakeSink sink = new LakeSink(LakeConfig.parse("""
                    group_id: lake-list-it
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    output: {type: local, path: "%s"}
                    roll: {max_rows: 1000, max_age: 1s}
                    threads: 1
                    """.formatted(bootstrap, sandbox.registry().url(), tmp.resolve("lake")), k -> null), store,
                    new SimpleMeterRegistry()).start();
            try {
                await().atMost(Duration.ofSeconds(90)).until(sink::rowsWritten, n -> n >= 300);
            } finally {
                sink.close();
            }
            assertThat(refused).as("listings tried").hasValueGreaterThan(2);
            assertThat(sink.workerRestarts()).as("worker restarts").isEqualTo(2);
            final Set<Long> seen = new HashSet<>();
            for (final String key : store.list("samples/")) {
                assertThat(key).startsWith("samples/date=");
                for (final ReplicationSample s : LakeFixtures.<ReplicationSample>read(tmp.resolve("lake").resolve(key))) {
                    assertThat(seen.add(s.getSequence())).as("row %d once", s.getSequence()).isTrue();
                }
            }
            assertThat(seen).hasSize(300);
        }
    }

    private static LakeSink publishFailures(final Path tmp, final boolean crash) throws Exception {
        try (Sandbox sandbox = LakeFixtures.sandbox("lake-failures-it-", 1)) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            // Samples of several clusters, layout cluster_date: each batch has several files (one per cluster and date).
            LakeFixtures.produce(bootstrap, sandbox.registry().url(), 0, 3000);
            final LakeConfig cfg = LakeConfig.parse("""
                    group_id: lake-failures-it-%s
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    output: {type: local, path: "%s"}
                    roll: {max_rows: 400, max_age: 1s}
                    layout: cluster_date
                    """.formatted(crash, bootstrap, sandbox.registry().url(), tmp.resolve("lake")), k -> null);
            final FlakyStore store = new FlakyStore(tmp.resolve("lake"), crash);
            final LakeSink sink = new LakeSink(cfg, store, new SimpleMeterRegistry()).start();
            try {
                await().atMost(Duration.ofSeconds(90)).alias("rows written").until(sink::rowsWritten, n -> n >= 3000);
            } finally {
                sink.close();
            }
            assertThat(store.failures).as("publishes refused").hasValue(3);
            final Set<Long> seen = new HashSet<>();
            long rows = 0;
            for (final String key : store.list("samples/")) {
                for (final ReplicationSample s : LakeFixtures.<ReplicationSample>read(tmp.resolve("lake").resolve(key))) {
                    rows++;
                    assertThat(seen.add(s.getSequence())).as("row %d once", s.getSequence()).isTrue();
                }
            }
            assertThat(rows).as("rows in the lake").isEqualTo(3000);
            assertThat(Files.list(store.staging()).count()).as("staging left clean").isZero();
            return sink;
        }
    }

    /**
     * A dead letter Kafka refuses (the dead-letter topic takes no message that large) keeps its batch uncommitted:
     * before, dead letters were sent without a callback and the batch was committed past the lost one.
     */
    @Test
    void aDeadLetterKafkaRefusesKeepsItsBatchUncommitted(@TempDir final Path tmp) throws Exception {
        AvroTrust.init();
        try (Sandbox sandbox = Sandbox.builder().tempDir("lake-dl-it-").postgres(false).start()) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            final org.apache.kafka.common.config.ConfigResource dlTopic = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topics.DEAD_LETTER);
            try (Admin a = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                a.createTopics(List.of(new NewTopic(Topics.SAMPLES, 1, (short) 1), new NewTopic(Topics.ROLLUPS, 1, (short) 1),
                        new NewTopic(Topics.DEAD_LETTER, 1, (short) 1).configs(Map.of("max.message.bytes", "64")))).all().get();
            }
            LakeFixtures.produce(bootstrap, sandbox.registry().url(), 0, 100);
            try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> p = new org.apache.kafka.clients.producer.KafkaProducer<>(
                    Map.<String, Object>of("bootstrap.servers", bootstrap),
                    new org.apache.kafka.common.serialization.ByteArraySerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                p.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.SAMPLES, "c1".getBytes(),
                        new byte[] {0, 0, 0, 0, 42, 7})).get();
            }
            LakeFixtures.produce(bootstrap, sandbox.registry().url(), 100, 200);
            final LakeConfig cfg = LakeConfig.parse("""
                    group_id: lake-dl-it
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    output: {type: local, path: "%s"}
                    roll: {max_rows: 1000, max_age: 1s}
                    """.formatted(bootstrap, sandbox.registry().url(), tmp.resolve("lake")), k -> null);
            final LakeSink sink = new LakeSink(cfg, new LocalStore(tmp.resolve("lake")), new SimpleMeterRegistry()).start();
            try (Admin a = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                // No row committed while its batch's dead letter is refused: held for 6 s (several flush attempts).
                await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10)).until(() -> sink.rowsWritten() == 0);
                // The topic takes it now: the batch goes through, once.
                a.incrementalAlterConfigs(Map.of(dlTopic, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                        new org.apache.kafka.clients.admin.ConfigEntry("max.message.bytes", "1048576"),
                        org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
                await().atMost(Duration.ofSeconds(60)).until(() -> sink.rowsWritten() >= 200);
            } finally {
                sink.close();
            }
            final Set<Long> seen = new HashSet<>();
            for (final String key : new LocalStore(tmp.resolve("lake")).list("samples/")) {
                for (final ReplicationSample s : LakeFixtures.<ReplicationSample>read(tmp.resolve("lake").resolve(key))) {
                    assertThat(seen.add(s.getSequence())).as("row %d once", s.getSequence()).isTrue();
                }
            }
            assertThat(seen).hasSize(200);
            assertThat(io.replwatch.schemas.TopicReader.values(bootstrap, sandbox.registry().url(), Topics.DEAD_LETTER,
                    io.replwatch.avro.DeadLetter.class)).as("the dead letter, once written").isNotEmpty();
        }
    }

    /**
     * A worker whose publish outlives max.poll.interval.ms (a hung upload): the group hands its partition to a second
     * lake, which writes the batch again. Before, the first worker went on publishing when its upload returned, under
     * the same file names as the new owner's, and when its commit then failed it took back those names, deleting the
     * new owner's files: rows were lost (or, had the commit gone through, written twice).
     */
    @Test
    void aWorkerThatLostItsPartitionMidPublishTakesBackOnlyItsOwnFiles(@TempDir final Path tmp) throws Exception {
        try (Sandbox sandbox = LakeFixtures.sandbox("lake-fence-it-", 1)) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            LakeFixtures.produce(bootstrap, sandbox.registry().url(), 0, 1200);
            final Path lake = tmp.resolve("lake");
            final String yaml = """
                    group_id: lake-fence-it
                    http_port: 0
                    kafka: {bootstrap.servers: "%s", max.poll.interval.ms: 4000}
                    schema_registry: {url: "%s"}
                    output: {type: local, path: "%s"}
                    roll: {max_rows: 400, max_age: 1s}
                    threads: 1
                    """.formatted(bootstrap, sandbox.registry().url(), lake);
            final java.util.concurrent.CountDownLatch hung = new java.util.concurrent.CountDownLatch(1);
            final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            final AtomicInteger calls = new AtomicInteger();
            // The first lake's first upload hangs until the second lake has written everything, then completes. The
            // lakes run on two machines writing to one object store: each has its own staging directory.
            final Path stagingA = Files.createDirectories(tmp.resolve("staging-a"));
            final LakeStore hanging = new LocalDelegate(lake) {
                @Override
                public Path staging() {
                    return stagingA;
                }

                @Override
                public void publish(final Path file, final String key) throws IOException {
                    if (calls.incrementAndGet() == 1) {
                        hung.countDown();
                        try {
                            release.await();
                        } catch (final InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    super.publish(file, key);
                }
            };
            final LakeSink first = new LakeSink(LakeConfig.parse(yaml, k -> null), hanging, new SimpleMeterRegistry())
                    .start();
            LakeSink second = null;
            try {
                assertThat(hung.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("first upload started").isTrue();
                second = new LakeSink(LakeConfig.parse(yaml, k -> null), new LocalStore(lake), new SimpleMeterRegistry())
                        .start();
                final LakeSink owner = second;
                await().atMost(Duration.ofSeconds(90)).alias("the new owner wrote every row")
                        .until(owner::rowsWritten, n -> n >= 1200);
                release.countDown();
                await().atMost(Duration.ofSeconds(30)).alias("the first lake gave its batch up")
                        .until(first::batchesAbandoned, n -> n >= 1);
            } finally {
                release.countDown();
                first.close();
                if (second != null) {
                    second.close();
                }
            }
            assertThat(first.rowsWritten()).as("rows the first lake committed").isZero();
            final Set<Long> seen = new HashSet<>();
            for (final String key : new LocalStore(lake).list("samples/")) {
                for (final ReplicationSample s : LakeFixtures.<ReplicationSample>read(lake.resolve(key))) {
                    assertThat(seen.add(s.getSequence())).as("row %d once", s.getSequence()).isTrue();
                }
            }
            assertThat(seen).as("rows in the lake").hasSize(1200);
        }
    }
}
