package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.LagRate;
import io.replwatch.avro.LagTrend;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.state.NodeState;
import java.time.Duration;
import java.time.Instant;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class LagWindowsTest {

    private static final long W = 10_000;
    private final RecordingOutputs out = new RecordingOutputs();

    private static NodeState node() {
        final NodeState ns = new NodeState();
        ns.cluster = "c";
        ns.node = "s1";
        return ns;
    }

    /** One sample's figures: the primary at {@code primary}, the consumer at {@code replay}. */
    private static LagRate rate(final long t, final String slot, final long primary, final long replay) {
        return LagRate.newBuilder().setCluster("c").setNode("s1").setAt(Instant.ofEpochMilli(t)).setWindowMs(60_000)
                .setReplayLagBytes(primary - replay).setTimeLagMs(primary == replay ? 0L : t % 7_000).setTrend(LagTrend.OK)
                .setSlot(slot).setConsumer(slot == null ? null : "sub_" + slot).build();
    }

    private static void feed(final LagWindows lw, final NodeState ns, final long t, final String slot, final long primary,
                             final long replay) {
        lw.closeDue(ns, t);
        lw.onSample(ns, rate(t, slot, primary, replay), new Trend.Point(t, replay, primary - replay, primary, 1), t);
    }

    @Test
    void zeroPublishesEverySample() {
        final LagWindows lw = new LagWindows(Duration.ZERO, out);
        final NodeState ns = node();
        for (long t = 0; t < 5_000; t += 1_000) {
            feed(lw, ns, t, null, 100 + t, 100);
        }
        assertThat(out.lagRates).hasSize(5).allSatisfy(r -> assertThat(r.getWindowStart()).isNull());
        assertThat(ns.lagWindows).isEmpty();
    }

    @Test
    void aStandbyAndEachSlotHaveTheirOwnWindow() {
        final LagWindows lw = new LagWindows(Duration.ofMillis(W), out);
        final NodeState ns = node();
        for (long t = 0; t < 12_000; t += 1_000) {
            feed(lw, ns, t, null, 1_000 + t, 1_000);
            lw.onSample(ns, rate(t, "cdc", 1_000 + t, 1_000 + t), new Trend.Point(t, 1_000 + t, 0, 1_000 + t, 1), t);
        }
        assertThat(out.lagRates).hasSize(2);
        final LagRate standby = out.lagRates.stream().filter(r -> r.getSlot() == null).findFirst().orElseThrow();
        final LagRate slot = out.lagRates.stream().filter(r -> r.getSlot() != null).findFirst().orElseThrow();
        assertThat(standby.getMaxReplayLagBytes()).isEqualTo(9_000L);
        assertThat(standby.getMinReplayLagBytes()).isZero();
        assertThat(standby.getMaxTimeLagMs()).isEqualTo(6_000L);
        assertThat(standby.getLagRateBytesPerSec()).as("first window: from its first sample").isCloseTo(1_000.0, Offset.offset(0.01));
        assertThat(slot.getSlot()).isEqualTo("cdc");
        assertThat(slot.getConsumer()).isEqualTo("sub_cdc");
        assertThat(slot.getMaxReplayLagBytes()).isZero();
        assertThat(slot.getReplayRateBytesPerSec()).isCloseTo(1_000.0, Offset.offset(0.01));
    }

    @Test
    void aSilentNodesWindowIsClosedByTheStalenessCallAndItsBaselineForgottenLater() {
        final LagWindows lw = new LagWindows(Duration.ofMillis(W), out);
        final NodeState ns = node();
        feed(lw, ns, 1_000, null, 500, 100);
        feed(lw, ns, 2_000, null, 900, 100);
        lw.closeDue(ns, 9_999);
        assertThat(out.lagRates).as("not before the window's end").isEmpty();
        lw.closeDue(ns, 10_000);
        assertThat(out.lagRates).hasSize(1);
        assertThat(out.lagRates.get(0).getSamples()).isEqualTo(2);
        assertThat(out.lagRates.get(0).getReplayLagBytes()).isEqualTo(800L);
        lw.closeDue(ns, 15_000);
        assertThat(out.lagRates).as("published once").hasSize(1);
        assertThat(ns.lagWindows).as("the baseline, kept for the next window").containsKey("");
        lw.closeDue(ns, 22_001);
        assertThat(ns.lagWindows).as("no sample for two windows: forgotten").isEmpty();
    }

    @Test
    void theNextWindowsRatesStartFromTheLastOnlyWhenItIsRecent() {
        final LagWindows lw = new LagWindows(Duration.ofMillis(W), out);
        final NodeState ns = node();
        feed(lw, ns, 9_000, null, 10_000, 10_000);
        feed(lw, ns, 19_000, null, 30_000, 20_000); // next window: from (9 s, lag 0) to (19 s, lag 10 000)
        feed(lw, ns, 45_000, null, 30_000, 30_000); // two windows later: its own first point is the base
        feed(lw, ns, 48_000, null, 33_000, 30_000);
        lw.closeDue(ns, 50_000);
        assertThat(out.lagRates).hasSize(3);
        assertThat(out.lagRates.get(1).getLagRateBytesPerSec()).isCloseTo(1_000.0, Offset.offset(0.01));
        assertThat(out.lagRates.get(1).getWalRateBytesPerSec()).isCloseTo(2_000.0, Offset.offset(0.01));
        assertThat(out.lagRates.get(2).getLagRateBytesPerSec()).isCloseTo(1_000.0, Offset.offset(0.01));
        assertThat(out.lagRates.get(2).getReplayRateBytesPerSec()).isZero();
        assertThat(out.lagRates.get(2).getWindowStart().toEpochMilli()).isEqualTo(40_000L);
    }
}
