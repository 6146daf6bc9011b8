package io.replwatch.processor.bench;

import io.replwatch.avro.HealthTransition;
import io.replwatch.avro.PollStatus;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.processor.Samples;
import io.replwatch.processor.topology.ProcessorTopology;
import io.replwatch.processor.config.StoreKind;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroDeserializer;
import io.replwatch.serde.AvroSerializer;
import io.replwatch.serde.SerdeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Samples/s through the real broker with exactly_once_v2 for a synthetic fleet (clusters of a primary and four
 * standbys), the replwatch topology against a pass-through topology (decode and re-encode) on the same input;
 * then the latency from a sample produced to its transition produced, at a steady offered load.
 *
 * <p>Run: {@code mvn -B -q -pl processor test-compile exec:exec@bench} (-Dbench.clusters=2000 -Dbench.rounds=30
 * -Dbench.rate=10000 -Dbench.seconds=30 -Dbench.threads=2 -Dbench.store=memory|rocksdb).
 */
public final class ProcessorBenchmark {

    /** The shipped topology settings, with -Dbench.lagRateWindow (10s; 0s: one lag-rates record per sample). */
    private static final TopologySettings SETTINGS = TopologySettings.defaults().withLagRateWindow(
            io.replwatch.runtime.config.Durations.parse(System.getProperty("bench.lagRateWindow", "10s")));
    /** -Dbench.lagRateWindowB=0s: each pair also runs the topology with this window, for a comparison in one run. */
    private static final TopologySettings SETTINGS_B = System.getProperty("bench.lagRateWindowB", "").isBlank() ? null
            : TopologySettings.defaults().withLagRateWindow(
                    io.replwatch.runtime.config.Durations.parse(System.getProperty("bench.lagRateWindowB")));


    private static final int NODES_PER_CLUSTER = 5;
    private static final StoreKind STORE = StoreKind.valueOf(
            System.getProperty("bench.store", "memory").toUpperCase(java.util.Locale.ROOT));

    private ProcessorBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final int clusters = Integer.getInteger("bench.clusters", 2000);
        final int rounds = Integer.getInteger("bench.rounds", 30);
        final int rate = Integer.getInteger("bench.rate", 10_000);
        final int seconds = Integer.getInteger("bench.seconds", 30);
        try (Sandbox sb = Sandbox.builder().tempDir("pbench-").postgres(false).start()) {
            final Path dir = sb.dir();
            final String bootstrap = sb.kafka().bootstrapServers();
            final Map<String, Object> serde = Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, sb.registry().url());
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                final List<NewTopic> topics = new ArrayList<>();
                for (final String t : Stream.concat(Stream.of(Topics.all()), Stream.of("bench.passthrough")).toList()) {
                    topics.add(new NewTopic(t, 6, (short) 1));
                }
                admin.createTopics(topics).all().get();
            }
            final long n = produceFleet(bootstrap, serde, clusters, rounds);
            System.out.printf("machine: %d cores; fleet: %d clusters x %d nodes = %d nodes; %d samples in %s%n",
                    Runtime.getRuntime().availableProcessors(), clusters, NODES_PER_CLUSTER,
                    clusters * NODES_PER_CLUSTER, n, Topics.SAMPLES);
            System.out.printf("lag_rate_window %s; broker overrides %s%n", SETTINGS.lagRateWindow(),
                    System.getProperties().stringPropertyNames().stream()
                            .filter(k -> k.startsWith(io.replwatch.sandbox.KafkaBroker.BROKER_PROPERTY_PREFIX))
                            .map(k -> k + "=" + System.getProperty(k)).sorted().toList());

            // One warm-up run of each first (same JVM, other application ids), so that the measured runs time
            // compiled code, as a processor that has run for more than a minute does; the JIT compiler alone took
            // a third of the two cores during a cold run.
            run(bootstrap, "warmup-passthrough", passThrough(serde), n, dir);
            run(bootstrap, "warmup-topology", ProcessorTopology.build(SETTINGS, serde, STORE), n, dir);
            // Pairs of runs, alternating, each from offset 0 under a fresh application id: one short run is at the
            // mercy of a transaction stall or a slow rebalance, so the figures are the medians of the pairs.
            final int repeats = Integer.getInteger("bench.repeats", 3);
            final double[] pass = new double[repeats];
            final double[] topo = new double[repeats];
            final double[][] cpu = new double[4][repeats];
            final double[][] cpuB = new double[2][repeats];
            final double[] rateB = new double[repeats];
            String lastTopology = null;
            for (int i = 0; i < repeats; i++) {
                final Run p = run(bootstrap, "bench-passthrough-" + i, passThrough(serde), n, dir);
                lastTopology = "bench-topology-" + i;
                final Run t = run(bootstrap, lastTopology, ProcessorTopology.build(SETTINGS, serde, STORE), n, dir);
                pass[i] = p.rate();
                topo[i] = t.rate();
                cpu[0][i] = p.appCpuUs();
                cpu[1][i] = p.brokerCpuUs();
                cpu[2][i] = t.appCpuUs();
                cpu[3][i] = t.brokerCpuUs();
                System.out.printf("pair %d: pass-through %.0f samples/s (CPU per sample: %.1f us app + %.1f us broker), "
                        + "topology %.0f samples/s (%.1f us app + %.1f us broker) = %.2f x%n",
                        i + 1, p.rate(), p.appCpuUs(), p.brokerCpuUs(), t.rate(), t.appCpuUs(), t.brokerCpuUs(), t.rate() / p.rate());
                if (SETTINGS_B != null) {
                    // The same topology under other settings, in the same pair: a change measured against the noise of
                    // this machine (a shared VM whose speed drifts by a third within minutes) rather than across runs.
                    final Run b = run(bootstrap, "bench-topology-b-" + i, ProcessorTopology.build(SETTINGS_B, serde, STORE), n, dir);
                    cpuB[0][i] = b.appCpuUs();
                    cpuB[1][i] = b.brokerCpuUs();
                    rateB[i] = b.rate();
                    System.out.printf("        topology with lag_rate_window %s: %.0f samples/s (%.1f us app + %.1f us broker) "
                            + "= %.2f x; its CPU per sample / the topology's: %.2f%n", SETTINGS_B.lagRateWindow(), b.rate(),
                            b.appCpuUs(), b.brokerCpuUs(), b.rate() / p.rate(),
                            (b.appCpuUs() + b.brokerCpuUs()) / (t.appCpuUs() + t.brokerCpuUs()));
                }
            }
            if (SETTINGS_B != null) {
                System.out.printf("topology with lag_rate_window %s: %.0f samples/s (median of %d); CPU per sample %.1f us app "
                        + "+ %.1f us broker%n", SETTINGS_B.lagRateWindow(), median(rateB), repeats, median(cpuB[0]),
                        median(cpuB[1]));
            }
            final double passMedian = median(pass);
            final double topoMedian = median(topo);
            System.out.printf("pass-through (decode + re-encode, exactly_once_v2): %.0f samples/s (median of %d); "
                    + "CPU per sample %.1f us app + %.1f us broker%n", passMedian, repeats, median(cpu[0]), median(cpu[1]));
            System.out.printf("replwatch topology (exactly_once_v2): %.0f samples/s (median of %d) = %.2f x pass-through; "
                    + "CPU per sample %.1f us app + %.1f us broker%n",
                    topoMedian, repeats, topoMedian / passMedian, median(cpu[2]), median(cpu[3]));
            final int nodes = clusters * NODES_PER_CLUSTER;
            final long live = liveStateBytes(bootstrap, lastTopology);
            System.out.printf("state (%s stores): latest key and value per changelog key %,d bytes for %d nodes = %d bytes per node"
                    + "; local state directory %,d bytes%n", STORE.name().toLowerCase(java.util.Locale.ROOT), live, nodes,
                    live / nodes, du(dir.resolve("streams-" + lastTopology)));
            latency(bootstrap, serde, dir, clusters, rate, seconds);
        }
    }

    private static double median(final double[] xs) {
        final double[] sorted = xs.clone();
        java.util.Arrays.sort(sorted);
        final int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    /** rounds x (primary + 4 standbys) per cluster, one round per simulated second, pre-serialized. */
    private static long produceFleet(final String bootstrap, final Map<String, Object> serde, final int clusters,
                                     final int rounds) throws Exception {
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(serde, false);
        long count = 0;
        final long t0 = System.currentTimeMillis() - rounds * 1000L - 60_000;
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerProps(bootstrap), new StringSerializer(),
                new ByteArraySerializer())) {
            for (int r = 0; r < rounds; r++) {
                for (int c = 0; c < clusters; c++) {
                    final long t = t0 + r * 1000L + c % 1000;
                    final long lsn = 100L * 1024 * 1024 + r * 65_536L + c;
                    for (final ReplicationSample s : cluster("c" + c, t, lsn, r)) {
                        p.send(new ProducerRecord<>(Topics.SAMPLES, null, t, s.getCluster(),
                                ser.serialize(Topics.SAMPLES, s)));
                        count++;
                    }
                }
            }
            p.flush();
        }
        return count;
    }

    private static List<ReplicationSample> cluster(final String name, final long t, final long lsn, final int round) {
        final List<ReplicationSample> out = new ArrayList<>();
        final Map<String, Long> replay = new HashMap<>();
        for (int i = 1; i < NODES_PER_CLUSTER; i++) {
            replay.put("s" + i, lsn - i * 8192L * (round % 3));
        }
        out.add(rename(Samples.primary("p", t, lsn, 1, replay), name));
        for (int i = 1; i < NODES_PER_CLUSTER; i++) {
            out.add(rename(Samples.streaming("s" + i, t + i, replay.get("s" + i)), name));
        }
        return out;
    }

    private static ReplicationSample rename(final ReplicationSample s, final String cluster) {
        return ReplicationSample.newBuilder(s).setCluster(cluster).build();
    }

    private static Topology passThrough(final Map<String, Object> serde) {
        final AvroDeserializer<ReplicationSample> de = new AvroDeserializer<>(ReplicationSample.class);
        de.configure(serde, false);
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(serde, false);
        final StreamsBuilder b = new StreamsBuilder();
        b.stream(Topics.SAMPLES, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .mapValues(v -> ser.serialize("bench.passthrough", de.deserialize(Topics.SAMPLES, v)))
                .to("bench.passthrough", Produced.with(Serdes.String(), Serdes.ByteArray()));
        return b.build();
    }

    private static Properties streamsProps(final String bootstrap, final String appId, final Path dir) {
        final Properties p = io.replwatch.processor.ProcessorService.streamsDefaults();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.getInteger("bench.threads", 2));
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("streams-" + appId).toString());
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2000);
        return p;
    }

    /**
     * Runs an application over the whole input from the start; returns samples per second in the steady state:
     * from the first commit past a tenth of the input to the end (start-up, the group's first rebalance and
     * task creation are not throughput).
     */
    /** Steady-state figures of one run: samples per second, and CPU per sample in this JVM and in its children. */
    private record Run(double rate, double appCpuUs, double brokerCpuUs) {
    }

    private static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU used so far by this JVM's child processes: the broker (and the registry, idle during a run). */
    private static long childCpuNanos() {
        return ProcessHandle.current().descendants()
                .mapToLong(ph -> ph.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum();
    }

    private static Run run(final String bootstrap, final String appId, final Topology topology, final long n,
                           final Path dir) throws Exception {
        final long start = System.nanoTime();
        long fromNanos = -1;
        long fromCount = 0;
        long fromOwnCpu = 0;
        long fromChildCpu = 0;
        try (KafkaStreams ks = new KafkaStreams(topology, streamsProps(bootstrap, appId, dir));
             Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            ks.start();
            long done;
            while ((done = committed(admin, appId)) < n) {
                if (fromNanos < 0 && done >= n / 10) {
                    fromNanos = System.nanoTime();
                    fromCount = done;
                    fromOwnCpu = ownCpuNanos();
                    fromChildCpu = childCpuNanos();
                }
                Thread.sleep(50);
                if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) {
                    throw new IllegalStateException(appId + " did not finish in 10 minutes");
                }
            }
            final long end = System.nanoTime();
            final long ownCpu = ownCpuNanos() - fromOwnCpu;
            final long childCpu = childCpuNanos() - fromChildCpu;
            ks.close(Duration.ofSeconds(30));
            if (fromNanos < 0) {
                fromNanos = start;
            }
            final long samples = n - fromCount;
            return new Run(samples / ((end - fromNanos) / 1e9), ownCpu / 1e3 / samples, childCpu / 1e3 / samples);
        }
    }

    private static long committed(final Admin admin, final String group) throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> offsets =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(Topics.SAMPLES) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
    }

    /**
     * Latency from a sample produced to its transition readable (read_committed): the topology runs live while
     * the fleet's samples arrive at {@code rate}/s; 1 % of the nodes flip between OK and UNREACHABLE on every
     * sample, so each of their samples causes a transition.
     */
    private static void latency(final String bootstrap, final Map<String, Object> serde, final Path dir,
                                final int clusters, final int rate, final int seconds) throws Exception {
        final AvroSerializer<ReplicationSample> ser = new AvroSerializer<>();
        ser.configure(serde, false);
        final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        final long runStart = System.currentTimeMillis();
        final Thread reader = new Thread(() -> {
            final Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-latency-reader");
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            final AvroDeserializer<HealthTransition> de = new AvroDeserializer<>(HealthTransition.class);
            de.configure(serde, false);
            try (KafkaConsumer<String, HealthTransition> c = new KafkaConsumer<>(p, new StringDeserializer(), de)) {
                c.subscribe(List.of(Topics.HEALTH_TRANSITIONS));
                final long end = runStart + (seconds + 15) * 1000L;
                while (System.currentTimeMillis() < end) {
                    for (final ConsumerRecord<String, HealthTransition> r : c.poll(Duration.ofMillis(50))) {
                        final long at = r.value().getAt().toEpochMilli();
                        if (at >= runStart + 12_000) {
                            latencies.add(System.currentTimeMillis() - at);
                        }
                    }
                }
            }
        });
        // A live run: start at the end of the topic, not behind the throughput runs' backlog.
        final Properties live = streamsProps(bootstrap, "bench-latency", dir);
        live.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "latest");
        try (KafkaStreams ks = new KafkaStreams(ProcessorTopology.build(SETTINGS, serde, STORE), live);
             KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerProps(bootstrap), new StringSerializer(),
                     new ByteArraySerializer())) {
            ks.start();
            while (ks.state() != KafkaStreams.State.RUNNING) {
                Thread.sleep(50);
            }
            reader.start();
            Thread.sleep(2000);
            final long perRound = (long) clusters * NODES_PER_CLUSTER;
            final long roundMs = Math.max(1, perRound * 1000 / rate);
            long sent = 0;
            int round = 0;
            final long t0 = System.currentTimeMillis();
            while (System.currentTimeMillis() - t0 < seconds * 1000L) {
                final long roundStart = System.currentTimeMillis();
                for (int c = 0; c < clusters; c++) {
                    final long now = System.currentTimeMillis();
                    final long lsn = 200L * 1024 * 1024 + round * 65_536L;
                    for (final ReplicationSample s : cluster("c" + c, now, lsn, round)) {
                        ReplicationSample x = s;
                        if (c % 100 == 0 && s.getNode().equals("s1") && round % 2 == 1) {
                            x = rename(Samples.failed("s1", now, PollStatus.UNREACHABLE), "c" + c);
                        }
                        p.send(new ProducerRecord<>(Topics.SAMPLES, null, now, x.getCluster(), ser.serialize(Topics.SAMPLES, x)));
                        sent++;
                    }
                    // Pace within the round so that the offered load is steady.
                    final long due = roundStart + (c + 1) * roundMs / clusters;
                    final long wait = due - System.currentTimeMillis();
                    if (wait > 0) {
                        Thread.sleep(wait);
                    }
                }
                round++;
            }
            p.flush();
            final double offered = sent * 1000.0 / (System.currentTimeMillis() - t0);
            reader.join();
            ks.close(Duration.ofSeconds(30));
            final List<Long> l = new ArrayList<>(latencies);
            Collections.sort(l);
            if (l.isEmpty()) {
                System.out.println("latency: no transitions observed");
                return;
            }
            System.out.printf("latency at %.0f samples/s offered for %d s: %d transitions; sample produced ->"
                            + " transition readable p50 %d ms, p99 %d ms, max %d ms%n", offered, seconds, l.size(),
                    l.get(l.size() / 2), l.get((int) (l.size() * 0.99)), l.get(l.size() - 1));
        }
    }

    private static Map<String, Object> producerProps(final String bootstrap) {
        return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.ACKS_CONFIG, "all");
    }

    /** The bytes of the latest record of every key in the application's changelogs: the state it holds. */
    private static long liveStateBytes(final String bootstrap, final String appId) throws Exception {
        final List<String> changelogs;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            changelogs = admin.listTopics().names().get().stream()
                    .filter(t -> t.startsWith(appId + "-") && t.endsWith("-changelog")).toList();
        }
        final Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final Map<String, Integer> latest = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> parts = new ArrayList<>();
            for (final String t : changelogs) {
                c.partitionsFor(t).forEach(pi -> parts.add(new TopicPartition(t, pi.partition())));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            final Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (final ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    final String k = r.topic() + "/" + new String(r.key(), java.nio.charset.StandardCharsets.ISO_8859_1);
                    if (r.value() == null) {
                        latest.remove(k);
                    } else {
                        latest.put(k, r.key().length + r.value().length);
                    }
                }
            }
        }
        return latest.values().stream().mapToLong(Integer::longValue).sum();
    }

    private static long du(final Path p) throws Exception {
        if (!Files.exists(p)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
