package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.LagTrend;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SlotRow;
import io.replwatch.processor.Samples;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.state.NodeState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A primary's logical slots judged as consumers: the standby trend model on confirmed_flush_lsn. */
class LogicalSlotsTest {

    private static final long T = 1_764_000_000_000L;
    private static final long WINDOW = 60_000;
    private static final long MB = 1 << 20;

    private static ReplicationSample primary(final long t, final long wal, final Long confirmed) {
        final ReplicationSample p = Samples.primary("p", t, wal, 1, Map.of());
        return confirmed == null ? p : ReplicationSample.newBuilder(p).setSlots(List.of(SlotRow.newBuilder()
                .setSlotName("cdc").setSlotType("logical").setActive(false).setPlugin("pgoutput").setDatabase("shop")
                .setConfirmedFlushLsn(confirmed).setRestartLsn(confirmed).build())).build();
    }

    private static NodeView.LogicalSlot judge(final NodeState ns, final ReplicationSample s, final long t) {
        LogicalSlots.onSample(s, t, ns, WINDOW, WINDOW);
        final List<NodeView.LogicalSlot> views = LogicalSlots.views(s, ns, 10_000);
        return views.isEmpty() ? null : views.get(0);
    }

    @Test
    void aConsumerThatConfirmsNothingWhileThePrimaryWritesIsStalledThenCatchesUp() {
        final NodeState ns = new NodeState();
        NodeView.LogicalSlot v = null;
        // A steady consumer 50 MB behind a primary writing 1 MB/s.
        for (long i = 0; i <= 60; i++) {
            v = judge(ns, primary(T + i * 1000, 100 * MB + i * MB, 50 * MB + i * MB), T + i * 1000);
        }
        assertThat(v.trend()).isEqualTo(LagTrend.OK);
        assertThat(v.lagBytes()).isEqualTo(50 * MB);
        // It stops confirming for 20 s.
        for (long i = 61; i <= 80; i++) {
            v = judge(ns, primary(T + i * 1000, 100 * MB + i * MB, 110 * MB), T + i * 1000);
        }
        assertThat(v.trend()).isEqualTo(LagTrend.STALLED);
        assertThat(v.lagBytes()).isEqualTo(70 * MB);
        // Timed from the first kept point of the run (points are kept a tenth of the window apart, as for standbys).
        assertThat(v.stalledForMs()).isBetween(20_000 - WINDOW / 10, 20_000L);
        // Back, consuming 3 MB/s while the primary writes 1 MB/s.
        for (long i = 81; i <= 110; i++) {
            v = judge(ns, primary(T + i * 1000, 100 * MB + i * MB, 110 * MB + (i - 80) * 3 * MB), T + i * 1000);
        }
        assertThat(v.trend()).isEqualTo(LagTrend.CATCHING_UP);
        assertThat(v.lagBytes()).isEqualTo(10 * MB);
        assertThat(v.catchUpEtaMs()).isNotNull().isPositive();
    }

    @Test
    void anIdlePublishersCaughtUpSlotIsOkAndADroppedSlotIsForgotten() {
        final NodeState ns = new NodeState();
        NodeView.LogicalSlot v = null;
        for (long i = 0; i <= 300; i += 5) {
            v = judge(ns, primary(T + i * 1000, 100 * MB, 100 * MB), T + i * 1000);
        }
        assertThat(v.trend()).isEqualTo(LagTrend.OK);
        assertThat(v.lagBytes()).isZero();
        assertThat(judge(ns, primary(T + 301_000, 100 * MB, null), T + 301_000)).isNull();
        assertThat(ns.logicalSlotPoints).isEmpty();
        // A node that is no longer a primary keeps no windows.
        judge(ns, primary(T + 302_000, 100 * MB, 100 * MB), T + 302_000);
        LogicalSlots.onSample(Samples.streaming("p", T + 303_000, 100 * MB), T + 303_000, ns, WINDOW, WINDOW);
        assertThat(ns.logicalSlotPoints).isEmpty();
    }

    /** Issue 16: bytes a slot's decoding spilled to disk within the window; a counter reset starts over. */
    @Test
    void spilledBytesAreCountedWithinTheWindow() {
        final NodeState ns = new NodeState();
        final java.util.function.BiFunction<Long, Long, ReplicationSample> spilled = (t, bytes) -> ReplicationSample
                .newBuilder(primary(t, 100 * MB, 100 * MB)).setSlots(List.of(SlotRow.newBuilder().setSlotName("cdc")
                        .setSlotType("logical").setActive(true).setConfirmedFlushLsn(100 * MB).setSpillBytes(bytes)
                        .setSpillTxns(1L).build())).build();
        assertThat(judge(ns, spilled.apply(T, 10 * MB), T).spilledBytesInWindow()).isZero();
        assertThat(judge(ns, spilled.apply(T + 1000, 10 * MB), T + 1000).spilledBytesInWindow()).isZero();
        assertThat(judge(ns, spilled.apply(T + 2000, 80 * MB), T + 2000).spilledBytesInWindow()).isEqualTo(70 * MB);
        // A window later, nothing more spilled: nothing within the window.
        assertThat(judge(ns, spilled.apply(T + 2000 + WINDOW + 1, 80 * MB), T + 2000 + WINDOW + 1).spilledBytesInWindow())
                .isZero();
        // pg_stat_reset_replication_slot: the counters start again from 0.
        assertThat(judge(ns, spilled.apply(T + 200_000, 0L), T + 200_000).spilledBytesInWindow()).isZero();
        assertThat(judge(ns, spilled.apply(T + 201_000, 5 * MB), T + 201_000).spilledBytesInWindow()).isEqualTo(5 * MB);
    }
}
