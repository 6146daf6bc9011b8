package io.replwatch.processor.topology;

import io.replwatch.avro.LagTrend;
import io.replwatch.avro.ReplicationSample;
import io.replwatch.avro.SlotRow;
import io.replwatch.processor.health.NodeView;
import io.replwatch.processor.lag.Trend;
import io.replwatch.processor.state.NodeState;
import io.replwatch.schemas.Lsn;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Stage, on a primary's samples: each logical slot's consumer judged as a standby is, with the same trend model
 * (OK, CATCHING_UP, FALLING_BEHIND, STALLED): its confirmed_flush_lsn against the primary's current position, over
 * the lag window. A slot that disappears is forgotten; a node that is no longer a primary keeps none.
 */
final class LogicalSlots {

    private LogicalSlots() {
    }

    /**
     * Adds this sample's point to every logical slot's window ({@code windowMs}, the lag window) and its spilled
     * bytes where they changed ({@code spillWindowMs}).
     */
    static void onSample(final ReplicationSample s, final long t, final NodeState ns, final long windowMs,
                         final long spillWindowMs) {
        if (!Samples.isOk(s)) {
            return;
        }
        if (!Samples.isPrimary(s) || s.getWalLsn() == null) {
            ns.logicalSlotPoints.clear();
            ns.slotSpill.clear();
            return;
        }
        if (s.getSlots().isEmpty() && ns.logicalSlotPoints.isEmpty() && ns.slotSpill.isEmpty()) {
            return; // most primaries: nothing allocated per sample
        }
        spill(s, t, ns, spillWindowMs);
        final Set<String> seen = new HashSet<>();
        for (final SlotRow slot : s.getSlots()) {
            if (!"logical".equals(slot.getSlotType()) || slot.getConfirmedFlushLsn() == null) {
                continue;
            }
            seen.add(slot.getSlotName());
            final long wal = s.getWalLsn();
            final long confirmed = slot.getConfirmedFlushLsn();
            StandbyLag.addPoint(ns.logicalSlotPoints.computeIfAbsent(slot.getSlotName(), k -> new ArrayList<>()),
                    new Trend.Point(t, confirmed, Lsn.bytesBehind(wal, confirmed), wal, s.getTimeline()), windowMs);
        }
        if (ns.logicalSlotPoints.size() != seen.size()) {
            ns.logicalSlotPoints.keySet().retainAll(seen);
        }
    }

    private static void spill(final ReplicationSample s, final long t, final NodeState ns, final long windowMs) {
        final Set<String> seen = new HashSet<>();
        for (final SlotRow slot : s.getSlots()) {
            if (slot.getSpillBytes() == null) {
                continue;
            }
            seen.add(slot.getSlotName());
            StandbyLag.addCount(ns.slotSpill.computeIfAbsent(slot.getSlotName(), k -> new ArrayList<>()), t,
                    slot.getSpillBytes(), windowMs);
        }
        if (ns.slotSpill.size() != seen.size()) {
            ns.slotSpill.keySet().retainAll(seen);
        }
    }

    /** Bytes a slot spilled to disk within the spill window: its newest total minus the baseline. */
    static long spilledInWindow(final NodeState ns, final String slot) {
        return StandbyLag.countInWindow(ns.slotSpill.get(slot));
    }

    /** Each logical slot as the rules see it; {@code minStallMs} as for standbys. */
    static List<NodeView.LogicalSlot> views(final ReplicationSample s, final NodeState ns, final long minStallMs) {
        if (ns.logicalSlotPoints.isEmpty()) {
            return List.of();
        }
        final List<NodeView.LogicalSlot> out = new ArrayList<>();
        for (final SlotRow slot : s.getSlots()) {
            final List<Trend.Point> window = ns.logicalSlotPoints.get(slot.getSlotName());
            if (window == null || window.isEmpty() || !"logical".equals(slot.getSlotType())) {
                continue;
            }
            final Trend.Point last = window.get(window.size() - 1);
            final LagTrend trend = Trend.evaluate(window, minStallMs);
            final Long stallStart = trend == LagTrend.STALLED ? Trend.stallStart(window) : null;
            final Double consumed = Trend.rate(window, Trend.Point::replayLsn);
            final Double wal = Trend.rate(window, Trend.Point::primaryLsn);
            out.add(new NodeView.LogicalSlot(slot.getSlotName(), slot.getPlugin(), slot.getDatabase(), slot.getActive(),
                    last.lagBytes(), trend, stallStart == null ? 0 : last.time() - stallStart,
                    Trend.catchUpEtaMs(last.lagBytes(), consumed, wal), consumed, wal,
                    spilledInWindow(ns, slot.getSlotName()), slot.getSpillTxns()));
        }
        return out;
    }
}
