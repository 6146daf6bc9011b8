package io.replwatch.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.lake.config.LakeConfig;
import io.replwatch.lake.sink.LakeSink;
import io.replwatch.lake.store.LocalStore;
import io.replwatch.sandbox.Sandbox;
import io.replwatch.schemas.SampleFixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet wider than {@code max_open_files} clusters per partition, on the sandbox's broker and registry. With the
 * default layout (a file per cluster and day) every batch is cut short at the open-file limit: files of a few rows,
 * counted in {@code replwatch.lake.batches.at.max.open.files}. With {@code layout: date} the same rows go to one file
 * per partition and day, every row once, in the directory of its date.
 */
@Tag("chaos")
class LakeLayoutIT {

    private static final int CLUSTERS = 120;
    private static final int ROWS = 3 * CLUSTERS * 10; // 10 seconds of the fleet: 3,600 samples
    private static Sandbox sandbox;
    private static String bootstrap;
    private static String registry;

    @BeforeAll
    static void up() throws Exception {
        sandbox = LakeFixtures.sandbox("lake-layout-it-", 3);
        bootstrap = sandbox.kafka().bootstrapServers();
        registry = sandbox.registry().url();
        LakeFixtures.produce(bootstrap, registry, 0, ROWS, LakeLayoutIT::row);
    }

    /** The fleet's sample {@code i}, crossing midnight halfway: the rows of the last five seconds belong to the next day. */
    private static ReplicationSample row(final int i) {
        return ReplicationSample.newBuilder(LakeFixtures.fleetSample(i, CLUSTERS))
                .setSampledAt(java.time.Instant.parse("2026-11-21T23:59:55Z").plusSeconds(i / (3L * CLUSTERS))).build();
    }

    @AfterAll
    static void down() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    private record Run(List<Path> files, double cutShort) {
    }

    private static Run drain(final Path lake, final String group, final String layout) throws Exception {
        final LakeConfig cfg = LakeConfig.parse("""
                group_id: %s
                http_port: 0
                kafka: {bootstrap.servers: "%s"}
                schema_registry: {url: "%s"}
                tables: [samples]
                output: {type: local, path: "%s"}
                roll: {max_rows: 100000, max_age: 2s, max_open_files: 16}
                layout: %s
                threads: 1
                """.formatted(group, bootstrap, registry, lake, layout), k -> null);
        final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        final LakeSink sink = new LakeSink(cfg, new LocalStore(lake), metrics).start();
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> sink.rowsWritten() >= ROWS);
        } finally {
            sink.close();
        }
        final var c = metrics.find("replwatch.lake.batches.at.max.open.files").counter();
        return new Run(LakeFixtures.parquetFiles(lake.resolve("samples")), c == null ? 0 : c.count());
    }

    @Test
    void aFleetWiderThanTheOpenFileLimitFillsFilesPerDateNotPerCluster(@TempDir final Path tmp) throws Exception {
        final Run byCluster = drain(tmp.resolve("by-cluster"), "lake-layout-cluster", "cluster_date");
        assertThat(byCluster.cutShort()).as("batches published at max_open_files, default layout").isPositive();
        assertThat(byCluster.files()).as("a file per cluster and day and batch").hasSizeGreaterThan(2 * CLUSTERS);

        final Path lake = tmp.resolve("by-date");
        final Run byDate = drain(lake, "lake-layout-date", "date");
        assertThat(byDate.cutShort()).as("batches published at max_open_files, layout: date").isZero();
        // Three partitions, two days, batches of at most 2 s of a backlog read in well under that: a handful of files.
        assertThat(byDate.files()).as("files with layout: date").hasSizeLessThanOrEqualTo(byCluster.files().size() / 10);

        final Map<Long, String> rows = new HashMap<>();
        final Set<String> dirs = new HashSet<>();
        for (final Path f : byDate.files()) {
            final String dir = lake.relativize(f.getParent()).toString();
            dirs.add(dir);
            for (final ReplicationSample s : LakeFixtures.<ReplicationSample>read(f)) {
                assertThat(dir).isEqualTo("samples/date=" + s.getSampledAt().atZone(ZoneOffset.UTC).toLocalDate());
                assertThat(rows.put(s.getSequence(), SampleFixtures.content(s))).as("row %d twice", s.getSequence()).isNull();
            }
        }
        assertThat(dirs).containsExactlyInAnyOrder("samples/date=2026-11-21", "samples/date=2026-11-22");
        assertThat(rows).hasSize(ROWS);
        for (int i = 0; i < ROWS; i++) {
            assertThat(rows.get((long) i)).as("row %d", i).isEqualTo(SampleFixtures.content(row(i)));
        }
    }
}
