package io.replwatch.lake.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.lake.LakeFixtures;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.lake.sink.LakeSink;
import io.replwatch.lake.store.LocalStore;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.Topics;
import io.replwatch.serde.AvroTrust;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Lake throughput on the sandbox's broker and registry: samples of a fleet (5 clusters, one sample a second, so
 * about twelve days; or -Dbench.clusters=N clusters of -Dbench.nodes=5 nodes, each polled once a second) pre-produced to a
 * 6-partition topic, then the
 * real sink (consume, decode, write Parquet with zstd, publish, commit) from offset 0 to the end; rows/s is rows
 * over the time until every batch is committed. Then the size of the lake against the same rows as Avro binary
 * (what a Kafka record holds after its 5-byte header).
 * Run: {@code mvn -B -q -pl lake test-compile exec:exec@bench} (-Dbench.rows=1000000 -Dbench.threads=2
 * -Dbench.clusters=0 -Dbench.nodes=5 -Dbench.layout=auto)
 */
public final class LakeBenchmark {

    private LakeBenchmark() {
    }

    /** This JVM's CPU time: the sink's threads (the bench's own thread only sleeps and polls a counter meanwhile). */
    private static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** CPU used so far by this JVM's child processes: the broker (and the registry, idle during a run). */
    private static long childCpuNanos() {
        return ProcessHandle.current().descendants()
                .mapToLong(ph -> ph.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L)).sum();
    }

    public static void main(final String[] args) throws Exception {
        AvroTrust.init();
        final int rows = Integer.getInteger("bench.rows", 1_000_000);
        final int threads = Integer.getInteger("bench.threads", 2);
        // 0: the original shape (5 clusters, one sample a second in turn, so about twelve days); N: a fleet of N
        // clusters of bench.nodes nodes each polled once a second (LakeFixtures.fleetSample; the processor
        // benchmark's fleet is 2,000 clusters of 5).
        final int clusters = Integer.getInteger("bench.clusters", 0);
        final int nodes = Integer.getInteger("bench.nodes", 5);
        final String layout = System.getProperty("bench.layout", "auto");
        final java.util.function.IntFunction<ReplicationSample> samples = clusters > 0
                ? i -> LakeFixtures.fleetSample(i, clusters, nodes) : i -> LakeFixtures.sample(i, 1);
        final Path tmp = Files.createTempDirectory("lake-bench-");
        try (Sandbox sandbox = Sandbox.builder().tempDir("lake-bench-").postgres(false).start()) {
            final String bootstrap = sandbox.kafka().bootstrapServers();
            final String registry = sandbox.registry().url();
            try (Admin a = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                a.createTopics(List.of(new NewTopic(Topics.SAMPLES, 6, (short) 1), new NewTopic(Topics.ROLLUPS, 1, (short) 1))).all().get();
            }
            long t0 = System.nanoTime();
            LakeFixtures.produce(bootstrap, registry, 0, rows, samples);
            System.out.printf("machine: %d cores, java %s; produced %,d samples (%s) in %.1f s; layout: %s%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), rows,
                    clusters > 0 ? clusters + " clusters x " + nodes + " nodes, each polled once a second" : "5 clusters x 3 nodes",
                    (System.nanoTime() - t0) / 1e9, layout);
            final LakeConfig cfg = LakeConfig.parse("""
                    group_id: lake-bench
                    http_port: 0
                    kafka: {bootstrap.servers: "%s"}
                    schema_registry: {url: "%s"}
                    tables: [samples]
                    output: {type: local, path: "%s"}
                    roll: {max_rows: 100000, max_age: 1s}
                    layout: %s
                    threads: %d
                    """.formatted(bootstrap, registry, tmp.resolve("lake"), layout, threads), k -> null);
            final LocalStore store = new LocalStore(tmp.resolve("lake"));
            final LakeSink sink = new LakeSink(cfg, store, new SimpleMeterRegistry());
            t0 = System.nanoTime();
            sink.start();
            long steadyFrom = -1;
            long steadyRows = 0;
            long ownCpu = 0;
            long childCpu = 0;
            while (sink.rowsWritten() < rows) {
                if (steadyFrom < 0 && sink.rowsWritten() >= rows / 10) {
                    steadyFrom = System.nanoTime();
                    steadyRows = sink.rowsWritten();
                    ownCpu = ownCpuNanos();
                    childCpu = childCpuNanos();
                }
                Thread.sleep(20);
            }
            final long end = System.nanoTime();
            ownCpu = ownCpuNanos() - ownCpu;
            childCpu = childCpuNanos() - childCpu;
            final double secs = (end - t0) / 1e9;
            sink.close();
            if (steadyFrom > 0) {
                System.out.printf("steady state (from the first tenth committed, start-up and group join excluded): %,.0f rows/s;"
                                + " CPU per row %.1f us sink + %.1f us broker%n", (rows - steadyRows) / ((end - steadyFrom) / 1e9),
                        ownCpu / 1e3 / (rows - steadyRows), childCpu / 1e3 / (rows - steadyRows));
            }
            System.out.printf("lake sink, %d thread(s): %,d rows in %.2f s = %,.0f rows/s (consume, decode, Parquet zstd, publish, commit), %d files%n",
                    threads, rows, secs, rows / secs, sink.filesPublished());

            long parquet = 0;
            try (Stream<Path> w = Files.walk(tmp.resolve("lake"))) {
                for (final Path p : w.filter(p -> p.toString().endsWith(".parquet")).toList()) {
                    parquet += Files.size(p);
                }
            }
            final SpecificDatumWriter<ReplicationSample> writer = new SpecificDatumWriter<>(ReplicationSample.class);
            final ByteArrayOutputStream buf = new ByteArrayOutputStream();
            long avro = 0;
            BinaryEncoder enc = null;
            for (int i = 0; i < rows; i++) {
                buf.reset();
                enc = EncoderFactory.get().binaryEncoder(buf, enc);
                writer.write(samples.apply(i), enc);
                enc.flush();
                avro += buf.size();
            }
            System.out.printf("size: Parquet %,d bytes (%.1f B/row) vs Avro binary %,d bytes (%.1f B/row): %.1f%% of Avro%n",
                    parquet, parquet / (double) rows, avro, avro / (double) rows, 100.0 * parquet / avro);
        }
    }
}
