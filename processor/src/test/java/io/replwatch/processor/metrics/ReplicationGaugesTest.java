package io.replwatch.processor.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.replwatch.avro.HealthState;
import io.replwatch.avro.LagRate;
import io.replwatch.avro.LagTrend;
import io.replwatch.avro.NodeHealth;
import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.health.NodeView;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus exposition of the nodes an instance owns: what each series says, and that nodes leave. */
class ReplicationGaugesTest {

    private static final Instant T = Instant.parse("2026-11-27T12:00:00Z");

    static {
        io.replwatch.serde.AvroTrust.init();
    }

    private final ReplicationGauges gauges = new ReplicationGauges(() -> { });

    private static NodeHealth health(final String node, final String role, final HealthState state) {
        return NodeHealth.newBuilder().setCluster("c").setNode(node).setRole(role).setState(state).setSince(T)
                .setUpdatedAt(T).setLastSampleAt(T).setReasons(List.of()).setTimeline(2).setLabels(Map.of()).build();
    }

    private String scrape() throws Exception {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, gauges.collect());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aStandbysLagAPrimarysWalAndSlotsAreExportedWithBoundedLabels() throws Exception {
        gauges.nodeHealth("c/p", health("p", "PRIMARY", HealthState.HEALTHY));
        gauges.nodeView("c/p", NodeView.builder("c", "p").inRecovery(false)
                .slots(List.of(new NodeView.SlotView("s1", true, false, 4096L, "reserved", null)))
                .horizon(new NodeView.XminHolder(1234, NodeView.HolderKind.TRANSACTION, "4242", 1000L, null))
                .logicalSlots(List.of(new NodeView.LogicalSlot("cdc", "pgoutput", "shop", false, 65536, LagTrend.STALLED,
                        30_000, null, 0d, 1000d, 0L, 0L, 45_000L, null))).build());
        gauges.walThroughput("c/p", WalThroughput.newBuilder().setCluster("c").setNode("p").setWindowStart(T)
                .setWindowEnd(T.plusSeconds(60)).setWindowSizeMs(60_000).setBytes(6_000_000).setBytesPerSecond(100_000d)
                .setSamples(12).build());
        gauges.nodeHealth("c/s1", health("s1", "STANDBY", HealthState.WARNING));
        gauges.lagRate("c/s1", LagRate.newBuilder().setCluster("c").setNode("s1").setAt(T).setWindowMs(60_000)
                .setReplayLagBytes(8192L).setReceiveLagBytes(0L).setTimeLagMs(2500L).setTrend(LagTrend.FALLING_BEHIND)
                .build());
        final String text = scrape();
        assertThat(text).contains("replwatch_node_state{cluster=\"c\",node=\"s1\",role=\"STANDBY\",state=\"WARNING\"} 1.0")
                .contains("replwatch_node_state{cluster=\"c\",node=\"s1\",role=\"STANDBY\",state=\"HEALTHY\"} 0.0")
                .contains("replwatch_standby_lag_bytes{cluster=\"c\",node=\"s1\",stage=\"replay\"} 8192.0")
                .contains("replwatch_standby_lag_bytes{cluster=\"c\",node=\"s1\",stage=\"receive\"} 0.0")
                .contains("replwatch_standby_time_lag_seconds{cluster=\"c\",node=\"s1\"} 2.5")
                .contains("replwatch_standby_trend{cluster=\"c\",node=\"s1\",trend=\"FALLING_BEHIND\"} 1.0")
                .contains("replwatch_primary_wal_bytes_per_second{cluster=\"c\",node=\"p\"} 100000.0")
                .contains("replwatch_slot_retained_bytes{active=\"true\",cluster=\"c\",node=\"p\",slot=\"s1\"} 4096.0")
                .contains("replwatch_xmin_horizon_age_transactions{cluster=\"c\",holder=\"transaction\",node=\"p\"} 1234.0")
                .contains("replwatch_node_timeline{cluster=\"c\",node=\"p\",role=\"PRIMARY\"} 2.0")
                .contains("replwatch_logical_slot_lag_bytes{cluster=\"c\",node=\"p\",slot=\"cdc\"} 65536.0")
                .contains("replwatch_logical_slot_time_lag_seconds{cluster=\"c\",node=\"p\",slot=\"cdc\"} 45.0")
                .contains("replwatch_logical_slot_trend{cluster=\"c\",node=\"p\",slot=\"cdc\",trend=\"STALLED\"} 1.0")
                .doesNotContain("stage=\"sent\"") // unknown stages are left out, not exported as 0
                .doesNotContain("4242"); // no pid (or other unbounded value) in a label
    }

    @Test
    void theWalRateIsTheSmallestWindowsNotTheLastToClose() throws Exception {
        gauges.nodeHealth("c/p", health("p", "PRIMARY", HealthState.HEALTHY));
        gauges.nodeView("c/p", NodeView.builder("c", "p").inRecovery(false).build());
        gauges.walThroughput("c/p", wal(60_000, 50_000d));
        assertThat(scrape()).contains("replwatch_primary_wal_bytes_per_second{cluster=\"c\",node=\"p\"} 50000.0");
        gauges.walThroughput("c/p", wal(10_000, 200_000d));
        gauges.walThroughput("c/p", wal(3_600_000, 1_000d)); // the hour's average closes after it: not the rate now
        gauges.walThroughput("c/p", wal(60_000, 70_000d));
        assertThat(scrape()).contains("replwatch_primary_wal_bytes_per_second{cluster=\"c\",node=\"p\"} 200000.0");
        gauges.walThroughput("c/p", wal(10_000, 300_000d));
        assertThat(scrape()).contains("replwatch_primary_wal_bytes_per_second{cluster=\"c\",node=\"p\"} 300000.0");
    }

    private static WalThroughput wal(final long windowMs, final double bytesPerSecond) {
        return WalThroughput.newBuilder().setCluster("c").setNode("p").setWindowStart(T)
                .setWindowEnd(T.plusMillis(windowMs)).setWindowSizeMs(windowMs).setBytes((long) (bytesPerSecond * windowMs / 1000))
                .setBytesPerSecond(bytesPerSecond).setSamples(12).build();
    }

    @Test
    void forgottenAndReleasedNodesLeave() throws Exception {
        gauges.nodeHealth("c/p", health("p", "PRIMARY", HealthState.HEALTHY));
        gauges.nodeHealth("c/s1", health("s1", "STANDBY", HealthState.HEALTHY));
        gauges.nodeHealth("c/s2", health("s2", "STANDBY", HealthState.HEALTHY));
        gauges.nodeHealth("c/s1", null); // forgotten (node_retention): its tombstone
        gauges.released("c/s2"); // its partition moved to another instance
        final String text = scrape();
        assertThat(text).contains("node=\"p\"").doesNotContain("node=\"s1\"").doesNotContain("node=\"s2\"");
        assertThat(gauges.size()).isEqualTo(1);
    }
}
