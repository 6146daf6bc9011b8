package io.replwatch.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.replwatch.lake.sink.LakeCodecs;
import io.replwatch.avro.CapacityRollup;
import io.replwatch.avro.RollupPeriod;
import io.replwatch.lake.capacity.CapacityReport;
import io.replwatch.lake.capacity.LinearFit;
import io.replwatch.lake.cli.CapacityCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.specific.SpecificData;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The forecast recovers a known slope from noisy synthetic days; the report reads rollups back from Parquet. */
class CapacityReportTest {

    private static final double GIB = 1024d * 1024 * 1024;
    private static final Instant DAY0 = Instant.parse("2026-09-01T00:00:00Z");

    @Test
    void linearFitRecoversAKnownSlopeFromNoisyDays() {
        final Random noise = new Random(7);
        final int n = 60;
        final double[] x = new double[n];
        final double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
            y[i] = 50 * GIB + 2 * GIB * i + noise.nextGaussian() * 1 * GIB;
        }
        final LinearFit f = LinearFit.of(x, y);
        assertThat(f.slope()).isCloseTo(2 * GIB, within(0.05 * GIB));
        assertThat(f.intercept()).isCloseTo(50 * GIB, within(1.5 * GIB));
        assertThat(f.r2()).isGreaterThan(0.99);
        assertThat(f.quality()).isEqualTo("good");
        // Next 30 days of the true line: sum over d=60..89 of (50 + 2d) GiB = 30*50 + 2*(60+89)*30/2 = 5970 GiB.
        assertThat(f.sumAhead(59, 30)).isCloseTo(5970 * GIB, within(0.02 * 5970 * GIB));
    }

    @Test
    void exactLineAndFlatLineAndTooLittleData() {
        final LinearFit exact = LinearFit.of(new double[] {0, 1, 2, 3, 4, 5, 6, 7}, new double[] {10, 13, 16, 19, 22, 25, 28, 31});
        assertThat(exact.slope()).isEqualTo(3.0);
        assertThat(exact.intercept()).isEqualTo(10.0);
        assertThat(exact.r2()).isEqualTo(1.0);
        final LinearFit flat = LinearFit.of(new double[] {0, 1, 2, 3, 4, 5, 6}, new double[] {5, 5, 5, 5, 5, 5, 5});
        assertThat(flat.slope()).isZero();
        assertThat(flat.sumAhead(6, 30)).isEqualTo(150.0);
        assertThat(LinearFit.of(new double[] {0, 1}, new double[] {1, 2}).quality()).startsWith("too little data");
        // A shrinking trend never forecasts negative days.
        final LinearFit down = LinearFit.of(new double[] {0, 1, 2, 3, 4, 5, 6, 7}, new double[] {70, 60, 50, 40, 30, 20, 10, 0});
        assertThat(down.sumAhead(7, 30)).isZero();
    }

    static {
        io.replwatch.serde.AvroTrust.init(); // builders fill the nested default of logical_slots
    }

    private static CapacityRollup rollup(final String node, final RollupPeriod p, final Instant start, final long wal,
                                         final double peak) {
        return CapacityRollup.newBuilder().setCluster("orders").setNode(node).setPeriod(p).setPeriodStart(start)
                .setPeriodEnd(start.plusSeconds(p == RollupPeriod.DAY ? 86_400 : 3600)).setWalBytes(wal)
                .setWalRatePeak(peak).setWalRateP95(peak / 2).setLagMsP95(node == null ? 1500L : null)
                .setLagBytesMax(node == null ? 4096L : null).setSlotRetainedBytesMax(1L << 30).setSlotCount(2)
                .setRecoveryConflicts(1).setSamples(720).setOkSamples(719).setAvailability(719 / 720.0).build();
    }

    private static CapacityRollup withSlots(final CapacityRollup r, final io.replwatch.avro.LogicalSlotRollup... slots) {
        return CapacityRollup.newBuilder(r).setLogicalSlots(List.of(slots)).build();
    }

    private static io.replwatch.avro.LogicalSlotRollup slot(final String name, final long retained, final long behind,
                                                            final long behindMs, final String consumer) {
        return io.replwatch.avro.LogicalSlotRollup.newBuilder().setSlot(name).setPlugin("pgoutput").setConsumer(consumer)
                .setRetainedBytesMax(retained).setLagBytesMax(behind).setLagMsMax(behindMs).build();
    }

    static void write(final Path file, final List<CapacityRollup> rows) throws Exception {
        Files.createDirectories(file.getParent());
        final SpecificData model = new SpecificData();
        model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        try (ParquetWriter<CapacityRollup> w = AvroParquetWriter.<CapacityRollup>builder(new LocalOutputFile(file))
                .withSchema(CapacityRollup.getClassSchema()).withDataModel(model)
                .withConf(new PlainParquetConfiguration())
                .withCodecFactory(LakeCodecs.INSTANCE).build()) {
            for (final CapacityRollup r : rows) {
                w.write(r);
            }
        }
    }

    @Test
    void reportFromTheLakesRollups(@TempDir final Path lake) throws Exception {
        final List<CapacityRollup> days = new java.util.ArrayList<>();
        for (int d = 0; d < 30; d++) {
            days.add(rollup(null, RollupPeriod.DAY, DAY0.plusSeconds(86_400L * d), (long) (100 * GIB + 5 * GIB * d), 0));
        }
        write(lake.resolve("rollups/cluster=orders/date=2026-09-01/replwatch.rollups+0+0+29.parquet"), days);
        // Two hours of the last day carry the peaks and percentiles.
        write(lake.resolve("rollups/cluster=orders/date=2026-09-30/replwatch.rollups+0+30+31.parquet"), List.of(
                rollup(null, RollupPeriod.HOUR, DAY0.plusSeconds(86_400L * 29), 4L << 30, 9e6),
                rollup(null, RollupPeriod.HOUR, DAY0.plusSeconds(86_400L * 29 + 3600), 5L << 30, 12e6)));
        // The primary's hours, with its logical slots: cdc held 6 GiB at most (over two hours), sub1 200 MiB.
        write(lake.resolve("rollups/cluster=orders/date=2026-09-30/replwatch.rollups+1+0+1.parquet"), List.of(
                withSlots(rollup("pg1", RollupPeriod.HOUR, DAY0.plusSeconds(86_400L * 29), 1, 1),
                        slot("cdc", 2L << 30, 1L << 30, 600_000L, null), slot("sub1", 200L << 20, 4096L, 1_000L, "sub1")),
                withSlots(rollup("pg1", RollupPeriod.HOUR, DAY0.plusSeconds(86_400L * 29 + 3600), 1, 1),
                        slot("cdc", 6L << 30, 3L << 30, 3_600_000L, "debezium"))));

        final List<CapacityRollup> rows = CapacityReport.read(lake, "orders");
        assertThat(CapacityReport.consumers(rows, 10)).containsExactly(
                new CapacityReport.Consumer("orders", "pg1", "cdc", "pgoutput", "debezium", 6L << 30, 3L << 30, 3_600_000L),
                new CapacityReport.Consumer("orders", "pg1", "sub1", "pgoutput", "sub1", 200L << 20, 4096L, 1_000L));
        assertThat(CapacityReport.consumersText(CapacityReport.consumers(rows, 1))).contains(
                "largest consumers of retained WAL").contains("orders/pg1 slot cdc (pgoutput, to debezium): retained max"
                + " 6.0 GiB; behind max 3.0 GiB, 3600.0 s").doesNotContain("sub1");
        final List<CapacityReport.Series> s = CapacityReport.build(rows).stream().filter(x -> x.node() == null).toList();
        assertThat(s).singleElement().satisfies(c -> {
            assertThat(c.walPerDay()).hasSize(30);
            assertThat(c.fit().slope()).isCloseTo(5 * GIB, within(1.0));
            assertThat(c.walRatePeak()).isEqualTo(12e6);
            // The last day is 245 GiB; the next 30 days: sum over d=30..59 of (100 + 5d) = 3000 + 5*(30+59)*15 = 9675 GiB.
            assertThat(c.next30()).isCloseTo(9675 * GIB, within(GIB));
            assertThat(c.availability()).isCloseTo(719 / 720.0, within(1e-9));
        });
        final String text = CapacityReport.text(s);
        assertThat(text).contains("cluster orders").contains("trend +5.0 GiB/day per day").contains("next 30 days 9.4 TiB")
                .contains("peak WAL rate 11.4 MiB/s").contains("lag p95 1.5 s").contains("fit R² 1.00, good");

        final Path html = lake.resolve("report.html");
        final StringWriter out = new StringWriter();
        final CommandLine cmd = new CommandLine(new CapacityCommand());
        cmd.setOut(new PrintWriter(out));
        assertThat(cmd.execute("--lake", lake.toString(), "--html", html.toString())).isZero();
        assertThat(out.toString()).contains("cluster orders");
        final String page = Files.readString(html);
        assertThat(page.split("<rect ", -1)).as("30 days of the cluster, 1 of its node pg1").hasSize(32);
        assertThat(page).contains("<polyline").contains("cluster orders").contains("9.4 TiB")
                .contains("largest consumers of retained WAL").contains("<td>orders/pg1 slot cdc</td>");
        assertThat(out.toString()).contains("orders/pg1 slot cdc (pgoutput, to debezium)");
    }

    @Test
    void readsBothLayoutsAndKeepsOnlyTheAskedClustersRows(@TempDir final Path lake) throws Exception {
        final CapacityRollup orders = rollup(null, RollupPeriod.DAY, DAY0, 10, 1);
        final CapacityRollup billing = CapacityRollup.newBuilder(rollup(null, RollupPeriod.DAY, DAY0, 20, 2))
                .setCluster("billing").build();
        final CapacityRollup ordersLater = rollup(null, RollupPeriod.DAY, DAY0.plusSeconds(86_400), 30, 3);
        // layout: date holds every cluster in one file; the older cluster_date files hold one cluster each.
        write(lake.resolve("rollups/date=2026-09-02/replwatch.rollups+0+5+6+ab1.parquet"), List.of(billing, ordersLater));
        write(lake.resolve("rollups/cluster=orders/date=2026-09-01/replwatch.rollups+0+0+0.parquet"), List.of(orders));
        write(lake.resolve("rollups/cluster=billing/date=2026-09-01/replwatch.rollups+0+1+1.parquet"), List.of(billing));

        assertThat(CapacityReport.read(lake, "orders")).extracting(CapacityRollup::getWalBytes)
                .containsExactlyInAnyOrder(10L, 30L);
        assertThat(CapacityReport.read(lake, "billing")).extracting(CapacityRollup::getWalBytes)
                .containsExactly(20L, 20L);
        assertThat(CapacityReport.read(lake, null)).hasSize(4);
        assertThat(CapacityReport.read(lake, "nobody")).isEmpty();
    }

    @Test
    void aMissingLakeIsAClearErrorExitTwo(@TempDir final Path tmp) {
        final StringWriter err = new StringWriter();
        final CommandLine cmd = new CommandLine(new CapacityCommand());
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("--lake", tmp.resolve("nope").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("No lake at");
    }
}
