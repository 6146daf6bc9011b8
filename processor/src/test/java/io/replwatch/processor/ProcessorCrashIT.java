package io.replwatch.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.config.ProcessorConfig;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.TopicReader;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroSerializer;
import io.replwatch.serde.SerdeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The processor killed with SIGKILL in the middle of a stream and restarted, compared transition for transition
 * with an uninterrupted reference run over the same input: exactly_once_v2 and the changelogs must give the same
 * transitions (same deterministic ids, same content), none missing and none twice.
 *
 * <p>The input is a scripted fleet (60 clusters of a primary and four standbys, 180 one-second poll rounds) with
 * incidents: a standby down for 40 s, a replay stall, a receiver cut while the primary writes, a flapping standby,
 * a primary down. The processor under test runs in a child JVM, killed once it has committed part of the second
 * half while that half is still being produced; it is then restarted. The reference run reads the same topic
 * from the start under another application id. Wall-clock staleness is switched off (stale_min 1h) in both:
 * when a node is noticed silent depends on the wall clock, so it cannot be compared across runs; everything
 * else follows from the samples.
 */
@Tag("chaos")
class ProcessorCrashIT {

    private static final int CLUSTERS = 60;
    private static final int ROUNDS = 180;
    private static final String[] NODES = {"p", "s1", "s2", "s3", "s4"};

    @Test
    void aKilledProcessorMissesAndRepeatsNoTransition() throws Exception {
        try (Sandbox sb = Sandbox.builder().tempDir("processor-crash-").postgres(false).start()) {
            final String bootstrap = sb.kafka().bootstrapServers();
            final Map<String, Object> serde = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, sb.registry().url());
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                admin.createTopics(Stream.of(Topics.all()).map(t -> new NewTopic(t, 3, (short) 1)).toList()).all().get();
            }
            final List<ReplicationSample> input = fleet();
            final int half = input.size() / 2;

            // The run under test: a child JVM over the first half, then killed while the second half arrives.
            final Path crashCfg = config(sb, "crash");
            final Path log = sb.dir().resolve("processor-child.log");
            Process child = startChild(crashCfg, log);
            produce(bootstrap, serde, input.subList(0, half), 0);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                    .until(() -> committed(bootstrap, "crash") >= half);
            final Thread producer = new Thread(() -> produce(bootstrap, serde, input.subList(half, input.size()), 4_000));
            producer.start();
            final long killAt = half + (input.size() - half) / 3;
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
                    .until(() -> committed(bootstrap, "crash") >= killAt);
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            final long atKill = committed(bootstrap, "crash");
            assertThat(atKill).as("killed mid-stream").isLessThan(input.size());
            producer.join();
            try (ProcessorService restarted = new ProcessorService(ProcessorConfig.load(crashCfg)).start()) {
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                        .until(() -> committed(bootstrap, "crash") == input.size());
            }
            final Map<TopicPartition, Long> afterCrashRun = endOffsets(bootstrap, 3);

            // The reference: the same topic from the start, uninterrupted.
            try (ProcessorService reference = new ProcessorService(ProcessorConfig.load(config(sb, "reference"))).start()) {
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                        .until(() -> committed(bootstrap, "reference") == input.size());
            }

            final List<HealthTransition> crashRun = new ArrayList<>();
            final List<HealthTransition> referenceRun = new ArrayList<>();
            splitByRun(bootstrap, serde, afterCrashRun, crashRun, referenceRun);

            final Map<String, String> reference = byId(referenceRun);
            final Map<String, String> crash = byId(crashRun);
            assertThat(referenceRun).as("the scripted incidents cause transitions").hasSizeGreaterThan(100);
            assertThat(reference).as("no id twice in the reference run").hasSize(referenceRun.size());
            assertThat(crash).as("no transition twice in the killed run").hasSize(crashRun.size());
            assertThat(crash.keySet()).as("none missing, none extra").isEqualTo(reference.keySet());
            assertThat(crash).as("same content, id for id").isEqualTo(reference);
            System.out.printf("processor SIGKILL at %d of %d samples committed: %d transitions in both runs, 0 missing, 0 duplicated%n",
                    atKill, input.size(), crashRun.size());
        }
    }

    /** The scripted fleet, in production order (round by round). */
    static List<ReplicationSample> fleet() {
        final long t0 = System.currentTimeMillis() - ROUNDS * 1000L - 60_000;
        final List<ReplicationSample> out = new ArrayList<>();
        for (int r = 0; r < ROUNDS; r++) {
            for (int c = 0; c < CLUSTERS; c++) {
                final long t = t0 + r * 1000L + c;
                final long lsn = position(r);
                final Map<String, Long> replay = new LinkedHashMap<>();
                final Map<String, ReplicationSample> standbys = new LinkedHashMap<>();
                for (int i = 1; i < NODES.length; i++) {
                    final String n = NODES[i];
                    long rep = lsn;
                    ReplicationSample s = Samples.streaming(n, t + i, rep);
                    switch (c % 6) {
                        case 0 -> { // s1 down for 40 s
                            if (n.equals("s1") && r >= 40 && r < 80) {
                                s = Samples.failed(n, t + i, PollStatus.UNREACHABLE);
                            }
                        }
                        case 1 -> { // s2 stops replaying for two minutes while the primary writes
                            if (n.equals("s2") && r >= 30 && r < 150) {
                                rep = position(30);
                                s = Samples.standby(n, t + i, lsn, rep, "streaming", false, 0);
                            }
                        }
                        case 2 -> { // s3's link cut: nothing received, no receiver
                            if (n.equals("s3") && r >= 50 && r < 120) {
                                rep = position(50);
                                s = Samples.standby(n, t + i, rep, rep, null, false, 0);
                            }
                        }
                        case 3 -> { // s4 flaps every 5 s
                            if (n.equals("s4") && r >= 20 && r < 100 && (r / 5) % 2 == 1) {
                                s = Samples.failed(n, t + i, PollStatus.UNREACHABLE);
                            }
                        }
                        default -> {
                        }
                    }
                    replay.put(n, rep);
                    standbys.put(n, s);
                }
                ReplicationSample primary = Samples.primary("p", t, lsn, 1, replay);
                if (c % 6 == 4 && r >= 60 && r < 90) {
                    primary = Samples.failed("p", t, PollStatus.UNREACHABLE);
                }
                final String cluster = "c" + c;
                out.add(rename(primary, cluster));
                standbys.values().forEach(s -> out.add(rename(s, cluster)));
            }
        }
        return out;
    }

    /** The primary writes 1 MiB a second. */
    private static long position(final int round) {
        return (100L << 20) + round * (1L << 20);
    }

    private static ReplicationSample rename(final ReplicationSample s, final String cluster) {
        return ReplicationSample.newBuilder(s).setCluster(cluster).build();
    }

    private static Path config(final Sandbox sb, final String app) throws Exception {
        final Path f = sb.dir().resolve(app + ".yaml");
        Files.writeString(f, """
                application_id: %s
                http_port: 0
                state_dir: %s
                partitions: 3
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                stale_min: 1h
                """.formatted(app, sb.dir().resolve("state-" + app), sb.kafka().bootstrapServers(), sb.registry().url()));
        return f;
    }

    static Process startChild(final Path cfg, final Path log) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "io.replwatch.processor.ProcessorMain", "--config",
                cfg.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Prints the last {@code lines} lines of a child's log, so that a failed run shows what the child saw. */
    static void printTail(final Path log, final int lines) {
        try {
            final List<String> all = Files.readAllLines(log);
            System.out.printf("---- last %d lines of %s ----%n", Math.min(lines, all.size()), log.getFileName());
            all.subList(Math.max(0, all.size() - lines), all.size()).forEach(System.out::println);
        } catch (final Exception e) {
            System.out.println("---- " + log + " unreadable: " + e);
        }
    }

    /** Produces the samples keyed by cluster, at about {@code perSecond} (0: as fast as possible). */
    static void produce(final String bootstrap, final Map<String, Object> serde,
                                final List<ReplicationSample> samples, final int perSecond) {
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(serde, false);
        final long start = System.nanoTime();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "linger.ms", 5, "enable.idempotence", true), new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            for (int i = 0; i < samples.size(); i++) {
                final ReplicationSample s = samples.get(i);
                p.send(new ProducerRecord<>(Topics.SAMPLES, null, s.getSampledAt().toEpochMilli(), s.getCluster(),
                        ser.serialize(Topics.SAMPLES, s)));
                if (perSecond > 0 && i % 100 == 0) {
                    final long due = start + (long) i * 1_000_000_000L / perSecond;
                    final long wait = due - System.nanoTime();
                    if (wait > 0) {
                        try {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        } catch (final InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            }
        }
    }

    static long committed(final String bootstrap, final String group) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            final Map<TopicPartition, OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(Topics.SAMPLES) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
        }
    }

    static Map<TopicPartition, Long> endOffsets(final String bootstrap, final int partitions) throws Exception {
        return endOffsets(bootstrap, Topics.HEALTH_TRANSITIONS, partitions);
    }

    /** The end offset of each partition of {@code topic}. */
    static Map<TopicPartition, Long> endOffsets(final String bootstrap, final String topic, final int partitions)
            throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            final Map<TopicPartition, OffsetSpec> req = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                req.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            final Map<TopicPartition, Long> out = new HashMap<>();
            admin.listOffsets(req).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
            return out;
        }
    }

    /** Committed transitions, split at the offsets where the crash run had ended. */
    static void splitByRun(final String bootstrap, final Map<String, Object> serde,
                                   final Map<TopicPartition, Long> boundary, final List<HealthTransition> first,
                                   final List<HealthTransition> second) {
        for (final TopicReader.Read<HealthTransition> r : TopicReader.readAll(bootstrap,
                (String) serde.get(SerdeConfig.SCHEMA_REGISTRY_URL), Topics.HEALTH_TRANSITIONS, HealthTransition.class)) {
            (r.offset() < boundary.get(new TopicPartition(Topics.HEALTH_TRANSITIONS, r.partition())) ? first : second)
                    .add(r.value());
        }
    }

    /** id to everything else the transition says; duplicates collapse, so size() counts distinct ids. */
    static Map<String, String> byId(final List<HealthTransition> ts) {
        final Map<String, String> m = new HashMap<>();
        for (final HealthTransition t : ts) {
            m.put(t.getId(), t.getCluster() + "/" + t.getNode() + " " + t.getFromState() + "->" + t.getToState() + " at "
                    + t.getAt() + " reasons " + t.getReasons() + " cleared " + t.getCleared());
        }
        return m;
    }
}
