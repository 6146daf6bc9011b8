package io.replwatch.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.replwatch.avro.LagTrend;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SlotRow;
import io.replwatch.processor.Samples;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.state.ClusterState;
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
        return judge(ns, new ClusterState(), s, t);
    }

    private static NodeView.LogicalSlot judge(final NodeState ns, final ClusterState cs, final ReplicationSample s,
                                              final long t) {
        LogicalSlots.onSample(s, t, ns, cs, WINDOW, WINDOW, 10_000);
        final List<NodeView.LogicalSlot> views = LogicalSlots.views(s, ns, cs, t, 10_000);
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
        final LogicalSlots.Published demoted = LogicalSlots.onSample(Samples.streaming("p", T + 303_000, 100 * MB),
                T + 303_000, ns, new ClusterState(), WINDOW, WINDOW, 10_000);
        assertThat(ns.logicalSlotPoints).isEmpty();
        assertThat(demoted.gone()).as("its slots' records are withdrawn").containsExactly("cdc");
    }

    /**
     * Issue 16: each logical slot's consumer is published as a LagRate with the slot and the WAL sender streaming
     * it named, and its true time lag read from the primary's LSN history (not from the idle clock); a slot that
     * goes is withdrawn.
     */
    @Test
    void eachSlotsConsumerIsPublishedWithItsTrueTimeLagAndItsSender() {
        final NodeState ns = new NodeState();
        final ClusterState cs = new ClusterState();
        LogicalSlots.Published out = null;
        // The primary writes 1 MB/s for a minute; the consumer stops confirming at 30 MB (written at T + 30 s).
        for (long i = 0; i <= 60; i++) {
            final long t = T + i * 1000;
            cs.history.add(t, 100 * MB + i * MB, 1, 600_000, 1000);
            final ReplicationSample base = primary(t, 100 * MB + i * MB, 100 * MB + Math.min(i, 30) * MB);
            final ReplicationSample p = ReplicationSample.newBuilder(base)
                    .setSlots(List.of(SlotRow.newBuilder(base.getSlots().get(0)).setActive(true).setActivePid(4242).build()))
                    .setReplicas(List.of(io.replwatch.avro.ReplicaRow.newBuilder().setPid(4242)
                            .setApplicationName("orders_sub").setClientAddr("10.0.0.5").build())).build();
            out = LogicalSlots.onSample(p, t, ns, cs, WINDOW, WINDOW, 10_000);
        }
        assertThat(out.gone()).isEmpty();
        final io.replwatch.avro.LagRate l = out.rates().get(0);
        assertThat(l.getSlot()).isEqualTo("cdc");
        assertThat(l.getNode()).isEqualTo("p");
        assertThat(l.getConsumer()).isEqualTo("orders_sub");
        assertThat(l.getConsumerAddr()).isEqualTo("10.0.0.5");
        assertThat(l.getReplayLagBytes()).isEqualTo(30 * MB);
        assertThat(l.getTimeLagMs()).isEqualTo(30_000L);
        assertThat(l.getTrend()).isEqualTo(LagTrend.STALLED);
        // Dropped: withdrawn.
        final long t = T + 61_000;
        cs.history.add(t, 161 * MB, 1, 600_000, 1000);
        out = LogicalSlots.onSample(primary(t, 161 * MB, null), t, ns, cs, WINDOW, WINDOW, 10_000);
        assertThat(out.rates()).isEmpty();
        assertThat(out.gone()).containsExactly("cdc");
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
