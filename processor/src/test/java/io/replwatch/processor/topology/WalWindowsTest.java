package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.WalThroughput;
import io.replwatch.processor.Samples;
import io.replwatch.processor.config.TopologySettings;
import io.replwatch.processor.state.NodeState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The WAL-throughput stage: bytes per tumbling window, published once the window and its grace have passed. */
class WalWindowsTest {

    private final RecordingOutputs out = new RecordingOutputs();
    private final TopologySettings settings = new TopologySettings(List.of(Duration.ofMinutes(1)), Duration.ofSeconds(10),
            Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(1), 3, Duration.ofSeconds(15),
            Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(5), TopologySettings.defaults().thresholds(),
            Duration.ofDays(1), Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(10));
    private final WalWindows wal = new WalWindows(settings, out);
    private final NodeState ns = node();

    private static NodeState node() {
        final NodeState ns = new NodeState();
        ns.cluster = "c";
        ns.node = "p";
        return ns;
    }

    private void sample(final long t, final long lsn, final int timeline) {
        wal.onPrimarySample(Samples.primary("p", t, lsn, timeline, Map.of()), t, ns);
    }

    @Test
    void bytesBetweenSamplesAreSummedAndTheWindowClosesAfterItsGrace() {
        sample(0, 1_000, 1);
        sample(30_000, 4_000, 1);
        sample(59_000, 7_000, 1);
        sample(65_000, 8_000, 1);
        assertThat(out.wal).as("the first minute is open until 60 s + 10 s grace").isEmpty();
        sample(70_000, 9_000, 1);
        assertThat(out.wal).hasSize(1);
        final WalThroughput w = out.wal.get(0);
        // The first sample only sets the starting point: 3,000 + 3,000 bytes in the first minute.
        assertThat(w.getBytes()).isEqualTo(6_000);
        assertThat(w.getSamples()).isEqualTo(3);
        assertThat(w.getBytesPerSecond()).isEqualTo(100.0);
        assertThat(w.getWindowStart().toEpochMilli()).isZero();
    }

    @Test
    void aPositionGoingBackOrANewTimelineCountsNothingNegative() {
        sample(0, 10_000, 1);
        sample(10_000, 5_000, 1);
        sample(20_000, 6_000, 2);
        sample(30_000, 6_500, 2);
        wal.closeDue(ns, 120_000);
        assertThat(out.wal).hasSize(1);
        assertThat(out.wal.get(0).getBytes()).as("only the 500 bytes on the new timeline").isEqualTo(500);
        assertThat(out.wal.get(0).getTimeline()).isEqualTo(2);
        assertThat(ns.walWindows).isEmpty();
    }
}
